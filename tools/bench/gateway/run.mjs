#!/usr/bin/env node
// `npm run bench:gateway`: builds the apps and the benchmark, runs it; JSON on stdout.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { builtProgramFile } from '../../build/build-paths.mjs';

const root = new URL('../../..', import.meta.url).pathname;
const build = (...args) =>
  spawnSync(process.execPath, [join(root, 'tools/build/build-node-app.mjs'), ...args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] }).status === 0;
for (const app of ['bus', 'keys', 'storage', 'gateway']) if (!build(app)) process.exit(1);
if (!build('bench-gateway', 'tools/bench')) process.exit(1);
const run = spawnSync(process.execPath, [builtProgramFile(root, 'bench-gateway', 'tools/bench/gateway/main.ts'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
