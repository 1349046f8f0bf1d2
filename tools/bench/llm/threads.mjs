#!/usr/bin/env node
// Measures llama.cpp decode and prefill speed by thread count on the ~100M-parameter bench model, alone and with
// another process keeping one core busy: the data behind the models service's default thread count (docs/architecture.md §9,
// "the thread trap"). Not a test. Usage: node tools/bench/llm/threads.mjs [rounds, default 3] [max threads]
// JSON on stdout.
import { fork } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { makeBenchModel } from '../../models/make-test-model.mjs';
import { importNodeLlamaCpp } from '../../models/import-node-llama-cpp.mjs';

const root = new URL('../../..', import.meta.url).pathname;
const rounds = Number(process.argv[2] ?? 3);
const maxThreads = Number(process.argv[3] ?? Math.max(2, availableParallelism()));
const DECODE_TOKENS = 48;

if (process.argv[2] === '--burn') {
  for (;;) Math.sqrt(Math.random());
}

const modelPath = join(root, 'tmp', 'bench-llm', 'bench-model.gguf');
if (!existsSync(modelPath)) {
  mkdirSync(join(root, 'tmp', 'bench-llm'), { recursive: true });
  makeBenchModel(modelPath);
}
const { getLlama, LlamaCompletion } = await importNodeLlamaCpp();
const llama = await getLlama({ build: 'never', skipDownload: true, gpu: false, maxThreads: 0, logLevel: 'error', logger: () => undefined });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });

async function measure(threads) {
  const context = await model.createContext({ contextSize: 512, threads: { ideal: threads, min: threads } });
  try {
    const completion = new LlamaCompletion({ contextSequence: context.getSequence() });
    const prompt = 'abcdefghijklmnopqrstuvwxyz'.repeat(8);
    let first;
    const started = performance.now();
    await completion.generateCompletion(prompt, { maxTokens: DECODE_TOKENS, temperature: 0, onTextChunk: () => (first ??= performance.now()) });
    const ended = performance.now();
    return { prefillMs: Math.round(first - started), decodeTokensPerSecond: Math.round(((DECODE_TOKENS - 1) * 1000) / (ended - first)) };
  } finally {
    await context.dispose();
  }
}

const results = [];
for (const competing of [0, 1]) {
  const burners = Array.from({ length: competing }, () => fork(new URL(import.meta.url).pathname, ['--burn'], { stdio: 'ignore' }));
  try {
    for (let round = 0; round < rounds; round++) {
      for (let threads = 1; threads <= maxThreads; threads++) {
        const row = { competingBusyProcesses: competing, threads, round, loadAverage: Number(loadavg()[0].toFixed(2)), ...(await measure(threads)) };
        results.push(row);
        process.stderr.write(`${JSON.stringify(row)}\n`);
      }
    }
  } finally {
    for (const burner of burners) burner.kill('SIGKILL');
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const summary = [];
for (const competing of [0, 1]) {
  for (let threads = 1; threads <= maxThreads; threads++) {
    const rows = results.filter((row) => row.competingBusyProcesses === competing && row.threads === threads);
    summary.push({
      competingBusyProcesses: competing,
      threads,
      medianDecodeTokensPerSecond: median(rows.map((row) => row.decodeTokensPerSecond)),
      medianPrefillMs: median(rows.map((row) => row.prefillMs)),
    });
  }
}
console.log(JSON.stringify({ machine: { cpus: cpus().length, model: cpus()[0]?.model, cpuMathCores: llama.cpuMathCores }, summary, results }, null, 2));
await model.dispose();
await llama.dispose();
