// Lint: typescript-eslint (type-aware where it matters) plus Nx module boundaries on two tag axes.
import nx from '@nx/eslint-plugin';

/** Exported so tools/lint can check the rule in isolation. */
export const moduleBoundaries = [
  'error',
  {
    enforceBuildableLibDependency: false,
    allow: [],
    depConstraints: [
      // Apps compose libs; they never import another app.
      { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:runtime', 'type:transport', 'type:util', 'type:contracts'], bannedExternalImports: ['zeromq'] },
      { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:runtime', 'type:transport', 'type:util', 'type:contracts'] },
      // Libs never import apps. Only the bus lib (type:transport) may import zeromq.
      { sourceTag: 'type:runtime', onlyDependOnLibsWithTags: ['type:transport', 'type:util', 'type:contracts'], bannedExternalImports: ['zeromq'] },
      { sourceTag: 'type:transport', onlyDependOnLibsWithTags: ['type:util', 'type:contracts'] },
      { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:contracts'], bannedExternalImports: ['zeromq', '@nestjs/microservices'] },
      { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: [], bannedExternalImports: ['zeromq', '@nestjs/*'] },
      // Scopes: key handling (scope:security) must not reach into the bus or app scopes; it is a leaf others use.
      { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared', 'scope:bus', 'scope:security'] },
      { sourceTag: 'scope:bus', onlyDependOnLibsWithTags: ['scope:shared', 'scope:bus', 'scope:security'] },
      { sourceTag: 'scope:security', onlyDependOnLibsWithTags: ['scope:shared', 'scope:security'] },
      // App scopes: each app composes the shared, bus and security libs; no app's scope is another's dependency.
      { sourceTag: 'scope:keys', onlyDependOnLibsWithTags: ['scope:shared', 'scope:bus', 'scope:security'] },
      { sourceTag: 'scope:cli', onlyDependOnLibsWithTags: ['scope:shared', 'scope:bus', 'scope:security'] },
      { sourceTag: 'scope:storage', onlyDependOnLibsWithTags: ['scope:shared', 'scope:bus', 'scope:security'] },
      { sourceTag: 'scope:monitor', onlyDependOnLibsWithTags: ['scope:shared', 'scope:bus', 'scope:security'] },
      { sourceTag: 'scope:models', onlyDependOnLibsWithTags: ['scope:shared', 'scope:bus', 'scope:security'] },
      { sourceTag: 'scope:conversation', onlyDependOnLibsWithTags: ['scope:shared', 'scope:bus', 'scope:security'] },
      { sourceTag: 'scope:scheduler', onlyDependOnLibsWithTags: ['scope:shared', 'scope:bus', 'scope:security'] },
      { sourceTag: 'scope:gateway', onlyDependOnLibsWithTags: ['scope:shared', 'scope:bus', 'scope:security'] },
      { sourceTag: 'scope:supervisor', onlyDependOnLibsWithTags: ['scope:shared', 'scope:bus', 'scope:security'] },
      // The web client runs in a browser: it may use the contracts, never the Node-side libs.
      { sourceTag: 'scope:web', onlyDependOnLibsWithTags: ['type:contracts'] },
      // The avatar page runs in a browser, embedded by any host: the same rule.
      { sourceTag: 'scope:avatar', onlyDependOnLibsWithTags: ['type:contracts'] },
    ],
  },
];

/**
 * Files that may use test harnesses: specs, test helpers, e2e tests, benchmarks, and the testing entry points and
 * test-support folders themselves. Exported so tools/lint can check the rule in isolation.
 */
export const testFiles = ['**/*.spec.ts', '**/*.contract-spec.ts', '**/*.e2e-spec.ts', '**/*.test-helpers.ts', 'e2e/**', 'tools/bench/**', '**/testing/**'];

/** Spec files: their describe blocks are long by nature; the file still fits in a head. */
const specFiles = ['**/*.spec.ts', '**/*.contract-spec.ts', '**/*.e2e-spec.ts'];

/**
 * Units that fit in a head (issue 17, STYLE.md): a file past 400 lines or a function past 80 (blank lines and comments
 * not counted) is split into pieces that each do one thing, or carries an eslint-disable with its reason.
 */
export const unitSizes = {
  'max-lines': ['error', { max: 400 }],
  'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
};

/** Test harnesses stay out of production files: a lib's testing entry point, and any `*.test-helpers` module. */
export const testOnlyImports = [
  'error',
  {
    patterns: [
      {
        group: ['@aico/*/testing', '@aico/*/testing/**'],
        message: 'A testing entry point is for specs, e2e tests and benchmarks; production code must not import it.',
      },
      { regex: '\\.test-helpers(\\.ts)?$', message: 'A *.test-helpers module is for specs; production code must not import it.' },
    ],
  },
];

/**
 * One way to use the bus (libs/bus/README.md): a controller names its topics by the registry's constants
 * (`@MessagePattern(MonitorTopics.jobSubmit.topic)`), never by a string literal the build cannot check.
 */
export const busTopicLiterals = [
  'error',
  {
    selector: 'Decorator > CallExpression[callee.name=/^(MessagePattern|EventPattern)$/] > :matches(Literal, TemplateLiteral).arguments',
    message: "Name the topic by the registry's constant (`@MessagePattern(XTopics.y.topic)`), not a string literal.",
  },
];

export default [
  { ignores: ['**/dist', '**/node_modules', '**/gen/**', 'tmp/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // noUncheckedIndexedAccess makes every bounds-checked index access `T | undefined`; `!` there is deliberate.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // A cast the type checker already agrees with hides the type a value really has.
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@nx/enforce-module-boundaries': moduleBoundaries,
    },
  },
  { files: ['**/*.ts', '**/*.tsx'], ignores: [...specFiles, '**/*.generated.ts'], rules: unitSizes },
  // A spec keeps one scenario's setup (real processes) together: up to 5% over rather than starting them twice.
  { files: specFiles, rules: { 'max-lines': ['error', { max: 420 }] } },
  { files: ['**/*.ts', '**/*.tsx'], ignores: testFiles, rules: { 'no-restricted-imports': testOnlyImports } },
  { files: ['apps/**/*.ts'], ignores: testFiles, rules: { 'no-restricted-syntax': busTopicLiterals } },
];
