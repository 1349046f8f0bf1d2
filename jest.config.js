// Every Jest project in the workspace: unit and contract tests beside the code, tools tests, and e2e (which needs
// the apps built: `npm test` builds them first).
module.exports = {
  // Global in multi-project runs: e2e and tools tests start processes; unit tests wait on signals with their own limits.
  testTimeout: 60_000,
  projects: [
    '<rootDir>/libs/*/jest.config.js',
    '<rootDir>/apps/*/jest.config.js',
    '<rootDir>/tools/jest.config.js',
    '<rootDir>/e2e/jest.config.js',
  ],
};
