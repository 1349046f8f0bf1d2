// End-to-end tests start real, built processes (`npm test` builds them first; `nx e2e e2e` builds through Nx).
module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.e2e-spec.ts'],
  // The preset's deadline for a hung test; each e2e file sets the budget its own work needs (jest.setTimeout).
};
