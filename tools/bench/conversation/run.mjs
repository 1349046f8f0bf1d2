#!/usr/bin/env node
// Builds the apps the conversation benchmark runs (bus, keys, storage, monitor, models, conversation, gateway) and the
// benchmark, generates the ~100M-parameter bench model (tools/models, ~207 MB, deterministic; its vocabulary puts ". "
// after "z" so a chat reply "abcdefghijklmnopqrstuvwxyz. ABC…" has a first sentence for the avatar) in a temporary
// directory that is removed afterwards, and runs tools/bench/conversation/main.ts (Linux only); JSON on stdout, a line
// per round on stderr. Not part of `npm test`. Usage: node tools/bench/conversation/run.mjs [rounds, default 7]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBenchModel } from '../../models/make-test-model.mjs';
import { builtProgramFile } from '../../build/build-paths.mjs';

/** The default test vocabulary with ". " moved right after the letters a-z. */
export const SENTENCE_VOCABULARY = 'abcdefghijklmnopqrstuvwxyz. ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!"#$%&\'()*+,-/:;<=>?@[\\]^_`{|}~';

const root = new URL('../../..', import.meta.url).pathname;
const build = (...args) =>
  spawnSync(process.execPath, [join(root, 'tools/build/build-node-app.mjs'), ...args], { cwd: root, stdio: ['ignore', 2, 2] }).status === 0; // stdout is the JSON
for (const app of ['bus', 'keys', 'storage', 'monitor', 'models', 'conversation', 'gateway']) if (!build(app)) process.exit(1);
if (!build('bench-conversation', 'tools/bench')) process.exit(1);

const dir = mkdtempSync(join(tmpdir(), 'aico-bench-conversation-'));
try {
  const started = performance.now();
  const model = makeBenchModel(join(dir, 'bench-model.gguf'), { vocabulary: SENTENCE_VOCABULARY });
  process.stderr.write(`bench model: ${model.parameters} parameters, ${model.bytes} bytes, made in ${Math.round(performance.now() - started)} ms\n`);
  const run = spawnSync(
    process.execPath,
    [builtProgramFile(root, 'bench-conversation', 'tools/bench/conversation/main.ts'), model.path, ...process.argv.slice(2)],
    { cwd: root, stdio: 'inherit' },
  );
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
