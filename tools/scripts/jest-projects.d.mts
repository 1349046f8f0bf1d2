// Types of jest-projects.mjs.
export declare const NEEDS_BUILD_TAG: string;
export interface JestProject {
  readonly config: string;
  readonly displayName: string;
  readonly nxName: string | undefined;
  readonly tags: string[];
}
export declare function jestProjects(root: string): JestProject[];
export declare function projectsWithoutBuild(root: string): string[];
