// Where `node tools/build/build-node-app.mjs <app>` puts an app's build, from the module that defines it for every
// program that writes or runs builds.
// eslint-disable-next-line @nx/enforce-module-boundaries -- the build layout is the build tool's to define
export { APPS_BUILD_DIR, appEntryPoint, builtAppEntryPoint } from '../../tools/build/build-paths.mjs';
