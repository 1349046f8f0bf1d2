// Every Jest project in the workspace: unit and contract tests beside the code, tools tests, and e2e (which needs
// the apps built: `npm test` builds them first).
module.exports = {
  // Jest takes testTimeout from the global config only: in this multi-project run (npm test) the projects' own values
  // are ignored and this one applies to every test that sets none. The same as jest.preset.js: a deadline for a hung
  // test, not an expectation of speed (tests wait for signals; e2e files set their own budgets).
  testTimeout: require('./jest.preset.js').testTimeout,
  projects: ['<rootDir>/libs/*/jest.config.js', '<rootDir>/apps/*/jest.config.js', '<rootDir>/tools/jest.config.js', '<rootDir>/e2e/jest.config.js'],
};
