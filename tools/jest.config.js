module.exports = {
  ...require('../jest.preset.js'),
  displayName: 'tools',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.spec.ts'],
  testTimeout: 60_000,
  // The glTF library the avatar generator uses ships ES modules only; swc compiles it like our own code.
  transformIgnorePatterns: ['/node_modules/(?!(@gltf-transform|property-graph)/)'],
  moduleFileExtensions: ['ts', 'mts', 'js', 'mjs', 'json'],
};
