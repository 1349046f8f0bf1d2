module.exports = {
  ...require('../../jest.preset.js'),
  displayName: '@aico/policy',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.contract-spec.ts'],
};
