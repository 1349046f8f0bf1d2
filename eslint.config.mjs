// Lint: typescript-eslint (type-aware where it matters) plus Nx module boundaries on two tag axes.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/dist', '**/node_modules', '**/gen/**', 'tmp/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@nx/enforce-module-boundaries': [
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
            // Scopes: security code is only reached through its public libs; shared code depends on nothing scoped.
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared', 'scope:bus', 'scope:security'] },
            { sourceTag: 'scope:bus', onlyDependOnLibsWithTags: ['scope:shared', 'scope:bus', 'scope:security'] },
            { sourceTag: 'scope:security', onlyDependOnLibsWithTags: ['scope:shared', 'scope:security'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.contract-spec.ts', '**/*.e2e-spec.ts', 'e2e/**/*.ts', 'tools/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
];
