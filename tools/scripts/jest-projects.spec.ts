// `npm test` without a build runs every Jest project that does not need the built apps, chosen by tag: a project
// added later (or forgotten in a hand-kept list, as policy, avatar-protocol and pid-files were) is never skipped.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jestProjects, NEEDS_BUILD_TAG, projectsWithoutBuild } from './jest-projects.mjs';

const ROOT = join(__dirname, '..', '..');

interface NxProject {
  readonly name: string;
  readonly tags?: string[];
  readonly targets?: Record<string, unknown>;
}

/** Every Nx project of the workspace, from its project.json. */
function nxProjects(): NxProject[] {
  const dirs = ['apps', 'libs'].flatMap((parent) => readdirSync(join(ROOT, parent)).map((name) => join(ROOT, parent, name)));
  return [...dirs, join(ROOT, 'tools'), join(ROOT, 'e2e')]
    .map((dir) => join(dir, 'project.json'))
    .filter((file) => existsSync(file))
    .map((file) => JSON.parse(readFileSync(file, 'utf8')) as NxProject);
}

describe('Jest projects', () => {
  it('selects every project with a test target when the build failed, and none that needs the built apps', () => {
    const selected = projectsWithoutBuild(ROOT);
    const withTests = nxProjects().filter((project) => project.targets?.['test'] !== undefined);
    expect(withTests.length).toBeGreaterThan(20);
    expect(withTests.map((project) => project.name).filter((name) => !selected.includes(name))).toEqual([]);
    const needsBuild = nxProjects().filter((project) => project.tags?.includes(NEEDS_BUILD_TAG));
    expect(needsBuild.map((project) => project.name)).toEqual(['e2e']);
    expect(selected).not.toContain('e2e');
  });

  it('names each Jest project after its Nx project, so an app and a lib of one name (bus, keys) stay apart', () => {
    const projects = jestProjects(ROOT);
    expect(projects.filter((project) => project.displayName !== project.nxName)).toEqual([]);
    const names = projects.map((project) => project.displayName);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['bus', '@aico/bus', 'keys', '@aico/keys', 'e2e', 'tools']));
  });
});
