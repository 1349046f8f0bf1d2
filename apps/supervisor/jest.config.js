module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'supervisor',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.contract-spec.ts'],
};
