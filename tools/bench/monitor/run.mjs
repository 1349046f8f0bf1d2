#!/usr/bin/env node
// Builds the bus, the monitor and the benchmark, then runs it (Linux only); JSON on stdout. Not part of `npm test`.
// Usage: node tools/bench/monitor/run.mjs [seconds per configuration, default 30]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { builtProgramFile } from '../../build/build-paths.mjs';

const root = new URL('../../..', import.meta.url).pathname;
const build = (...args) =>
  spawnSync(process.execPath, [join(root, 'tools/build/build-node-app.mjs'), ...args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] }).status === 0;
if (!build('bus') || !build('monitor') || !build('bench-monitor', 'tools/bench')) process.exit(1);
const run = spawnSync(process.execPath, [builtProgramFile(root, 'bench-monitor', 'tools/bench/monitor/main.ts'), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
