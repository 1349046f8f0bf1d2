#!/usr/bin/env node
// Builds one Node program: `build-node-app.mjs <app>` compiles apps/<app>/src and the libs into dist/apps/<app>/
// (run `node dist/apps/<app>/apps/<app>/src/main.js`); `build-node-app.mjs <name> <dir>` compiles <dir> and the
// libs into dist/<name>/ (e2e fixtures, benchmarks). The repository layout is kept, so `@aico/*` imports become
// relative requires. Type checking
// is the separate `typecheck` target (tsc); swc only strips types, which takes well under a second.
import { createRequire } from 'node:module';
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APPS_BUILD_DIR, programBuildDir } from './build-paths.mjs';

const require = createRequire(import.meta.url);
const swc = require('@swc/core');
const { swcOptions, workspaceRoot } = require('./swc-options.js');

const [app, sourceDir] = process.argv.slice(2);
if (!app) {
  console.error('usage: build-node-app.mjs <app> | build-node-app.mjs <name> <source dir>');
  process.exit(2);
}
const outDir = sourceDir ? programBuildDir(workspaceRoot, app) : join(workspaceRoot, APPS_BUILD_DIR, app);
const sources = [
  sourceDir ? join(workspaceRoot, sourceDir) : join(workspaceRoot, 'apps', app, 'src'),
  ...(await readdir(join(workspaceRoot, 'libs'))).map((lib) => join(workspaceRoot, 'libs', lib, 'src')),
];
const isTestFile = (name) => /\.(spec|contract-spec|e2e-spec)\.ts$/.test(name) || name.endsWith('.test-helpers.ts');

// Files a program reads at run time from beside its code (the storage app's drizzle migrations: SQL and journal).
const isAsset = (name) => name.endsWith('.sql') || name.endsWith('.json');

async function* walk(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if ((entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !isTestFile(entry.name)) || isAsset(entry.name)) yield path;
  }
}

await rm(outDir, { recursive: true, force: true });
const options = swcOptions({ resolvePaths: true, keepDynamicImport: true });
let count = 0;
const started = Date.now();
for (const root of sources) {
  for await (const file of walk(root)) {
    const rel = relative(workspaceRoot, file);
    if (isAsset(file)) {
      await mkdir(dirname(join(outDir, rel)), { recursive: true });
      await copyFile(file, join(outDir, rel));
      count++;
      continue;
    }
    const target = join(outDir, rel.replace(/\.ts$/, '.js'));
    const { code, map } = await swc.transformFile(file, { ...options, filename: file, sourceFileName: relative(dirname(target), file) });
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, `${code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
    if (map) await writeFile(`${target}.map`, map);
    count++;
  }
}
// Built code finds its builds' layout in build-paths.mjs (the supervisor its apps, a benchmark the apps it runs): it
// goes along, at its place in the repository layout.
const buildPaths = join(outDir, relative(workspaceRoot, fileURLToPath(new URL('./build-paths.mjs', import.meta.url))));
await mkdir(dirname(buildPaths), { recursive: true });
await copyFile(new URL('./build-paths.mjs', import.meta.url), buildPaths);
count++;
console.log(`built ${app}: ${count} files in ${Date.now() - started} ms → ${relative(workspaceRoot, outDir)}/`);
