// Only the module-boundary rule, without type information, so tools/lint/module-boundaries.spec.ts can lint probe
// snippets that do not exist on disk. The rule options are the workspace's own.
import nx from '@nx/eslint-plugin';
import { moduleBoundaries } from '../../eslint.config.mjs';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'].map((entry) => ({ ...entry, rules: {} })),
  { files: ['**/*.ts'], rules: { '@nx/enforce-module-boundaries': moduleBoundaries } },
];
