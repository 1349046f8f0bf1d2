module.exports = {
  ...require('../../jest.preset.js'),
  displayName: '@aico/keys',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.contract-spec.ts'],
};
