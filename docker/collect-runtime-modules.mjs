#!/usr/bin/env node
// Copies the node_modules one built app needs at run time, and nothing else, so each image carries its own
// dependencies instead of the whole workspace's (build tools, other apps' drivers):
//
//   node docker/collect-runtime-modules.mjs <built main.js> <output dir> [--root <workspace>]
//
// It follows the app's relative requires from main.js (the swc build rewrites `@aico/*` to relative paths), takes
// every package it names, then each package's dependencies, and its optional and peer dependencies that are
// installed, and copies those package directories to <output dir>/node_modules at the same relative place as in
// the workspace (nested installs stay nested). pino transport targets (`target: '<package>'` beside a require of
// pino) are loaded by name in a worker thread, not required, so they are taken as well. Prints what it copied as JSON.
import { cp, mkdir, readFile, stat } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const REQUIRE = /\brequire\((["'])([^"']+)\1\)/g;
const PINO_TARGET = /\btarget:\s*(["'])([^"'./][^"']*)\1/g;

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
export function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

async function exists(path) {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The file a relative require names: the path itself, with `.js`/`.json`, or a directory's index.js. */
async function resolveRelative(fromFile, specifier) {
  const base = resolve(dirname(fromFile), specifier);
  for (const candidate of [base, `${base}.js`, `${base}.json`, join(base, 'index.js')]) {
    const info = await stat(candidate).catch(() => undefined);
    if (info?.isFile()) return candidate;
  }
  throw new Error(`${relative(process.cwd(), fromFile)} requires "${specifier}", which is not in the build output`);
}

/** Node's lookup: <dir>/node_modules/<name>, then the same in each parent directory. */
async function findPackage(fromDir, name) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (await exists(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Every bare package name the code reachable from `entry` requires, with the file that first asked for it. */
export async function traceBareRequires(entry) {
  const seen = new Set();
  const packages = new Map();
  const queue = [resolve(entry)];
  while (queue.length > 0) {
    const file = queue.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    if (!file.endsWith('.js')) continue;
    const code = await readFile(file, 'utf8');
    const specifiers = [...code.matchAll(REQUIRE)].map((match) => match[2]);
    // Only where pino itself is required is `target: '...'` a transport (elsewhere it is, say, a ping's target).
    if (specifiers.some((specifier) => packageName(specifier) === 'pino')) specifiers.push(...[...code.matchAll(PINO_TARGET)].map((match) => match[2]));
    for (const specifier of specifiers) {
      if (specifier.startsWith('.') || specifier.startsWith('/')) queue.push(await resolveRelative(file, specifier));
      else if (!isBuiltin(specifier)) {
        const name = packageName(specifier);
        if (!packages.has(name)) packages.set(name, file);
      }
    }
  }
  return { files: seen.size, packages };
}

/** The installed package directories `entry` needs, its direct packages' dependencies followed transitively. */
export async function runtimePackages(entry, root) {
  const { files, packages } = await traceBareRequires(entry);
  const directories = new Set();
  const queue = [];
  for (const [name, requiredBy] of packages) {
    const dir = await findPackage(dirname(requiredBy), name);
    if (!dir) throw new Error(`${relative(root, requiredBy)} requires "${name}", which is not installed (run npm ci)`);
    queue.push(dir);
  }
  while (queue.length > 0) {
    const dir = queue.pop();
    if (directories.has(dir)) continue;
    if (!dir.startsWith(`${root}${sep}`)) throw new Error(`${dir} is outside ${root}: refusing to copy it`);
    directories.add(dir);
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    const required = Object.keys(manifest.dependencies ?? {});
    // Optional dependencies and peers count where installed. A platform binary for another OS is not installed;
    // an optional peer that is (Nest's HTTP platform) may be loaded lazily by a require this trace cannot see
    // (@nestjs/core loads @nestjs/platform-express only when an app serves HTTP), so it is kept.
    const ifInstalled = [...Object.keys(manifest.optionalDependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})];
    for (const name of required) {
      const found = await findPackage(dir, name);
      if (!found) throw new Error(`${relative(root, dir)} depends on "${name}", which is not installed (run npm ci)`);
      queue.push(found);
    }
    for (const name of ifInstalled) {
      const found = await findPackage(dir, name);
      if (found) queue.push(found);
    }
  }
  return { files, direct: [...packages.keys()].sort(), directories: [...directories].sort() };
}

async function main(argv) {
  const rootIndex = argv.indexOf('--root');
  const root = resolve(rootIndex >= 0 ? argv[rootIndex + 1] : process.cwd());
  const [entry, outDir] = argv.filter((_, index) => rootIndex < 0 || (index !== rootIndex && index !== rootIndex + 1));
  if (!entry || !outDir) {
    console.error('usage: collect-runtime-modules.mjs <built main.js> <output dir> [--root <workspace>]');
    process.exit(64);
  }
  const { files, direct, directories } = await runtimePackages(entry, root);
  for (const dir of directories) {
    const target = join(resolve(outDir), relative(root, dir));
    await mkdir(dirname(target), { recursive: true });
    // A package's own nested node_modules is copied only for the packages in it that are needed (listed apart).
    await cp(dir, target, { recursive: true, verbatimSymlinks: true, filter: (source) => !relative(dir, source).split(sep).includes('node_modules') });
  }
  console.log(JSON.stringify({ entry, files, direct, packages: directories.map((dir) => relative(root, dir)) }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(`collect-runtime-modules: ${error.message}`);
    process.exit(1);
  });
}
