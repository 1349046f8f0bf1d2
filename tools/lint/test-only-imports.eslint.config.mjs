// Only the rule that keeps test harnesses out of production files, without type information, so
// tools/lint/test-only-imports.spec.ts can lint probe snippets that do not exist on disk. The rule, and the files it
// leaves alone, are the workspace's own.
import nx from '@nx/eslint-plugin';
import { testFiles, testOnlyImports } from '../../eslint.config.mjs';

export default [
  ...nx.configs['flat/typescript'].map((entry) => ({ ...entry, rules: {} })),
  { files: ['**/*.ts', '**/*.tsx'], ignores: testFiles, rules: { 'no-restricted-imports': testOnlyImports } },
];
