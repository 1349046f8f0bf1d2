module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'avatar',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
