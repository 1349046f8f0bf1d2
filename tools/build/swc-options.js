// One swc configuration for builds and Jest: TypeScript with legacy decorators and emitted decorator metadata
// (NestJS resolves constructor parameters from it), CommonJS output, ES2022.
const path = require('node:path');

const workspaceRoot = path.resolve(__dirname, '..', '..');

/**
 * @param {{ resolvePaths?: boolean, keepDynamicImport?: boolean }} [options] keepDynamicImport leaves `import()` as
 * it is instead of turning it into require(): node-llama-cpp is ESM with top-level await, which require() cannot
 * load (ERR_REQUIRE_ASYNC_MODULE, docs/architecture.md §9). Builds keep it; Jest (CommonJS, no VM modules) cannot.
 */
function swcOptions(options = {}) {
  return {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: true },
      target: 'es2022',
      keepClassNames: true,
      ...(options.resolvePaths
        ? {
            baseUrl: workspaceRoot,
            paths: require(path.join(workspaceRoot, 'tsconfig.base.json')).compilerOptions.paths,
          }
        : {}),
    },
    module: { type: 'commonjs', strictMode: true, ...(options.keepDynamicImport ? { ignoreDynamic: true } : {}) },
    sourceMaps: true,
  };
}

module.exports = { swcOptions, workspaceRoot };
