// The Jest projects of the workspace (the root jest.config.js `projects`), each with its Nx project's name and tags
// (project.json beside its jest.config.js): what `npm test` may select without a hand-kept list. A Jest project's
// displayName is its Nx project's name, so `--selectProjects` takes Nx names.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Tests of a project with this tag run against built apps: none of them can run when the build failed. */
export const NEEDS_BUILD_TAG = 'type:e2e';

/** `<rootDir>/libs/*\/jest.config.js` → the files it names (one `*` per path segment, as the root config uses). */
function expand(root, pattern) {
  const segments = pattern.replace('<rootDir>/', '').split('/');
  let paths = [root];
  for (const segment of segments) {
    paths = paths.flatMap((path) => {
      if (segment !== '*') return [join(path, segment)];
      return existsSync(path)
        ? readdirSync(path, { withFileTypes: true })
            .filter((entry) => entry.isDirectory())
            .map((entry) => join(path, entry.name))
        : [];
    });
  }
  return paths.filter((path) => existsSync(path)).sort();
}

/** @returns {{ config: string, displayName: string, nxName: string | undefined, tags: string[] }[]} */
export function jestProjects(root) {
  const { projects } = require(join(root, 'jest.config.js'));
  return projects
    .flatMap((pattern) => expand(root, pattern))
    .map((config) => {
      const { displayName } = require(config);
      const projectJson = join(dirname(config), 'project.json');
      const project = existsSync(projectJson) ? JSON.parse(readFileSync(projectJson, 'utf8')) : {};
      return { config, displayName: typeof displayName === 'string' ? displayName : displayName?.name, nxName: project.name, tags: project.tags ?? [] };
    });
}

/** The Jest projects that run without the apps built: every one not tagged NEEDS_BUILD_TAG. */
export const projectsWithoutBuild = (root) =>
  jestProjects(root)
    .filter((project) => !project.tags.includes(NEEDS_BUILD_TAG))
    .map((project) => project.displayName);
