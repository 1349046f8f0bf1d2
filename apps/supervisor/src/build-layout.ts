// Where the apps' builds are, from the one module that defines it for the build scripts, the CLI, benchmarks and
// e2e tests alike (plain JavaScript, carried along by every build: tools/build/build-node-app.mjs).
// eslint-disable-next-line @nx/enforce-module-boundaries -- the build layout is the build tool's to define; every build carries this file
export { appEntryPoint, appsDirAbove } from '../../../tools/build/build-paths.mjs';
