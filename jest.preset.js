// Shared Jest settings: swc transforms TypeScript (decorators and metadata on), `@aico/*` maps to lib sources.
const path = require('node:path');
const { swcOptions } = require('./tools/build/swc-options.js');

module.exports = {
  testEnvironment: 'node',
  // Generous: tests wait for signals, never for time, but CI shares 2 cores between workers and real processes.
  testTimeout: 30_000,
  // .js too: the ESM-only packages below are compiled to CommonJS like our own code.
  transform: { '^.+\\.(ts|m?js)$': ['@swc/jest', swcOptions()] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^@aico/(.*)$': path.join(__dirname, 'libs/$1/src/index.ts') },
  // p-queue and jose are ESM-only; let swc transform them (DESIGN.md §1).
  transformIgnorePatterns: ['/node_modules/(?!(p-queue|jose)/)'],
  setupFiles: [path.join(__dirname, 'tools/jest/setup.js')],
};
