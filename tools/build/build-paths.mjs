// Where builds put their output, for every program that writes or runs one: the build scripts (tools/*.mjs), the
// supervisor and the CLI (which start each app from its build), benchmarks and e2e tests. Plain JavaScript so the
// .mjs tools import it as it is; TypeScript code imports it with its types from build-paths.d.mts, and each Node
// app's build carries a copy (build-node-app.mjs), so a built app finds it beside its own code.
import { join, resolve } from 'node:path';

/** The build of every app, under the workspace root: `dist/apps/<app>/`. */
export const APPS_BUILD_DIR = join('dist', 'apps');

/** An app's build directory under `appsDir` (a build keeps the repository layout below it). */
export const appBuildDir = (appsDir, app) => join(appsDir, app);

/** The script that runs an app, in its build under `appsDir`: `<appsDir>/<app>/apps/<app>/src/main.js`. */
export const appEntryPoint = (appsDir, app) => join(appBuildDir(appsDir, app), 'apps', app, 'src', 'main.js');

/** `<root>/dist/apps/<app>/apps/<app>/src/main.js`: an app built in the workspace at `root`. */
export const builtAppEntryPoint = (root, app) => appEntryPoint(join(root, APPS_BUILD_DIR), app);

/**
 * The directory holding every app's build, seen from the source directory of one built app (its
 * `<appsDir>/<app>/apps/<app>/src`, or any directory that deep below it).
 */
export const appsDirAbove = (appSourceDir) => resolve(appSourceDir, '..', '..', '..', '..');

/** A program built from another directory (`build-node-app.mjs <name> <dir>`: e2e fixtures, benchmarks): `dist/<name>/`. */
export const programBuildDir = (root, name) => join(root, 'dist', name);

/** The compiled `<sourceFile>` (a path relative to the workspace, `.ts`) of the program `<name>`. */
export const builtProgramFile = (root, name, sourceFile) => join(programBuildDir(root, name), sourceFile.replace(/\.ts$/, '.js'));
