// Shared Jest settings: swc transforms TypeScript (decorators and metadata on), `@aico/*` maps to lib sources.
const path = require('node:path');
const { swcOptions } = require('./tools/build/swc-options.js');

module.exports = {
  testEnvironment: 'node',
  // A deadline for a hung test, not an expectation of speed: tests wait for signals (each wait with its own, shorter
  // deadline and message), and CI shares 2 cores between workers, real processes and whatever else runs. Jest reads
  // this only when one project runs alone; in a multi-project run the root config's value applies (the same).
  testTimeout: 300_000,
  // .js too: the ESM-only packages below are compiled to CommonJS like our own code.
  transform: { '^.+\\.(ts|m?js)$': ['@swc/jest', swcOptions()] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // A lib's second entry point (`@aico/bus/testing`, `@aico/contracts/browser`) first: the general mapping would look for libs/bus/testing.
  moduleNameMapper: {
    '^@aico/([^/]+)/testing$': path.join(__dirname, 'libs/$1/src/testing/index.ts'),
    // The contracts' browser entry point (plain values, no registry or protobuf runtime), as tsconfig.base.json maps it.
    '^@aico/contracts/browser$': path.join(__dirname, 'libs/contracts/src/browser.ts'),
    '^@aico/(.*)$': path.join(__dirname, 'libs/$1/src/index.ts'),
  },
  // p-queue and jose are ESM-only; let swc transform them (docs/architecture.md §1).
  transformIgnorePatterns: ['/node_modules/(?!(p-queue|jose)/)'],
  setupFiles: [path.join(__dirname, 'tools/jest/setup.js')],
};
