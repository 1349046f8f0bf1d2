// Types of build-paths.mjs (where builds put their output).
export declare const APPS_BUILD_DIR: string;
export declare const appBuildDir: (appsDir: string, app: string) => string;
export declare const appEntryPoint: (appsDir: string, app: string) => string;
export declare const builtAppEntryPoint: (root: string, app: string) => string;
export declare const appsDirAbove: (appSourceDir: string) => string;
export declare const programBuildDir: (root: string, name: string) => string;
export declare const builtProgramFile: (root: string, name: string, sourceFile: string) => string;
