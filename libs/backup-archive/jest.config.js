// Unit specs of the backup-archive lib, with the workspace's shared Jest settings.
module.exports = {
  ...require('../../jest.preset.js'),
  displayName: '@aico/backup-archive',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/src/**/*.contract-spec.ts'],
};
