#!/usr/bin/env node
// `npm run bench:bus`: compiles tools/bench/bus and the libs (swc, well under a second) into dist/bench-bus/, then
// runs the benchmark (`run.mjs js-path`: the in-process JavaScript cost instead, js-path.ts). Its JSON result is the only thing on stdout; build output and progress go to stderr.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { builtProgramFile } from '../../build/build-paths.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const build = spawnSync(process.execPath, [join(root, 'tools/build/build-node-app.mjs'), 'bench-bus', 'tools/bench/bus'], {
  cwd: root,
  stdio: ['ignore', 2, 2],
});
if (build.status !== 0) process.exit(build.status ?? 1);

const bench = spawn(process.execPath, [builtProgramFile(root, 'bench-bus', `tools/bench/bus/${process.argv[2] === 'js-path' ? 'js-path' : 'main'}.ts`)], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => bench.kill(signal));
bench.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
