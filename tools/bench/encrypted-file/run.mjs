#!/usr/bin/env node
// `npm run bench:encrypted-file [MiB]`: builds the benchmark with the workspace's swc build and runs it; JSON on stdout.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { builtProgramFile } from '../../build/build-paths.mjs';

const root = new URL('../../..', import.meta.url).pathname;
const build = spawnSync(process.execPath, [join(root, 'tools/build/build-node-app.mjs'), 'bench-encrypted-file', 'tools/bench/encrypted-file'], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
});
if (build.status !== 0) process.exit(build.status ?? 1);
const run = spawnSync(process.execPath, [builtProgramFile(root, 'bench-encrypted-file', 'tools/bench/encrypted-file/main.ts'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
