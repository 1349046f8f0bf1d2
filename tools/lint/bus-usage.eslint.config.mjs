// Only the rule that keeps topic string literals out of app controllers, without type information, so
// tools/lint/bus-usage.spec.ts can lint probe snippets that do not exist on disk. The rule is the workspace's own.
import nx from '@nx/eslint-plugin';
import { busTopicLiterals } from '../../eslint.config.mjs';

export default [
  ...nx.configs['flat/typescript'].map((entry) => ({ ...entry, rules: {} })),
  { files: ['**/*.ts'], rules: { 'no-restricted-syntax': busTopicLiterals } },
];
