#!/usr/bin/env node
// `npm run bench:footprint`: builds every app `aico start` runs (and the CLI, the supervisor) and the benchmark,
// generates the ~100M-parameter bench model (tools/models, about 207 MB, deterministic) in a temporary directory
// that is removed afterwards, and runs tools/bench/footprint/main.ts: the whole system at idle, then with that model
// resident. JSON on stdout, progress on stderr. Not part of `npm test`. AICO_BENCH_IDLE_SECONDS (default 60) sets the
// idle window; AICO_BENCH_FOOTPRINT_MODEL=none skips the model, =tiny uses the 0.5 MB test model instead.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBenchModel, makeTestModel } from '../../models/make-test-model.mjs';
import { builtProgramFile } from '../../build/build-paths.mjs';

const root = new URL('../../..', import.meta.url).pathname;
const build = (...args) =>
  spawnSync(process.execPath, [join(root, 'tools/build/build-node-app.mjs'), ...args], { cwd: root, stdio: ['ignore', 2, 2] }).status === 0; // stdout is the JSON
for (const app of ['bus', 'keys', 'storage', 'scheduler', 'monitor', 'models', 'conversation', 'gateway', 'supervisor', 'cli'])
  if (!build(app)) process.exit(1);
if (!build('bench-footprint', 'tools/bench')) process.exit(1);

const which = process.env['AICO_BENCH_FOOTPRINT_MODEL'] ?? 'bench';
const dir = mkdtempSync(join(tmpdir(), 'aico-bench-footprint-model-'));
try {
  const args = [];
  if (which !== 'none') {
    const started = performance.now();
    const model = (which === 'tiny' ? makeTestModel : makeBenchModel)(join(dir, `${which}-model.gguf`));
    process.stderr.write(`${which} model: ${model.parameters} parameters, ${model.bytes} bytes, made in ${Math.round(performance.now() - started)} ms\n`);
    args.push(model.path);
  }
  const run = spawnSync(process.execPath, [builtProgramFile(root, 'bench-footprint', 'tools/bench/footprint/main.ts'), ...args], {
    cwd: root,
    stdio: 'inherit',
  });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
