module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'web',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.contract-spec.ts'],
  // The colour library ships ES modules only; swc compiles it like our own code.
  transformIgnorePatterns: ['/node_modules/(?!(@material/material-color-utilities)/)'],
};
