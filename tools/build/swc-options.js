// One swc configuration for builds and Jest: TypeScript with legacy decorators and emitted decorator metadata
// (NestJS resolves constructor parameters from it), CommonJS output, ES2022.
const path = require('node:path');

const workspaceRoot = path.resolve(__dirname, '..', '..');

/** @param {{ resolvePaths?: boolean }} [options] */
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
    module: { type: 'commonjs', strictMode: true },
    sourceMaps: true,
  };
}

module.exports = { swcOptions, workspaceRoot };
