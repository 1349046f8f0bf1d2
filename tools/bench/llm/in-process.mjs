// Part (a) of the LLM benchmark (tools/bench/llm/main.ts): node-llama-cpp in this process, used exactly as the models
// app uses it (getLlama without builds or downloads, the CPU, maxThreads = threads, one context of one sequence, a
// fresh sequence and LlamaCompletion per generation, greedy, no context shift), driven by the benchmark over IPC so
// its CPU time can be read from outside like the models app's. Not a test. Messages:
//   in:  { type: 'generate', prompt, maxTokens, progressAfter? }  → out: { type: 'progress' } once, then { type: 'result', … }
//   in:  { type: 'cancel' }                                       → the running generation stops (its result follows)
//   out: { type: 'ready', … } once the model and its context are loaded
import { importNodeLlamaCpp } from '../../models/import-node-llama-cpp.mjs';

const [modelPath, threadsText, contextText] = process.argv.slice(2);
const threads = Number(threadsText);
const rss = () => process.memoryUsage.rss();

const rssAtStart = rss();
const api = await importNodeLlamaCpp();
const llama = await api.getLlama({
  build: 'never',
  skipDownload: true,
  gpu: false,
  maxThreads: threads,
  logLevel: 'error',
  logger: () => undefined,
  progressLogs: false,
});
const rssBeforeLoad = rss();
const loadStarted = performance.now();
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const context = await model.createContext({
  contextSize: Math.min(model.trainContextSize, Number(contextText)),
  sequences: 1,
  threads: { ideal: threads, min: 1 },
});
const loadMs = performance.now() - loadStarted;
const rssAfterLoad = rss();

let running;

process.on('message', (message) => {
  if (message.type === 'cancel') running?.abort();
  else if (message.type === 'generate') void generate(message).catch((error) => process.send({ type: 'error', message: String(error?.stack ?? error) }));
});

async function generate({ prompt, maxTokens, progressAfter }) {
  running = new AbortController();
  const sequence = context.getSequence();
  const meter = sequence.tokenMeter.getState();
  const completion = new api.LlamaCompletion({ contextSequence: sequence });
  let first;
  let last;
  let chunks = 0;
  const started = performance.now();
  try {
    const { response, metadata } = await completion.generateCompletionWithMeta(prompt, {
      maxTokens,
      temperature: 0,
      signal: running.signal,
      stopOnAbortSignal: true,
      disableContextShift: true,
      contextShiftSize: 1,
      onTextChunk: (text) => {
        if (text === '') return;
        const now = performance.now();
        first ??= now;
        last = now;
        if (++chunks === progressAfter) process.send({ type: 'progress' });
      },
    });
    const usage = sequence.tokenMeter.diff(meter);
    process.send({
      type: 'result',
      text: response,
      stopReason: metadata.stopReason,
      promptTokens: usage.usedInputTokens,
      completionTokens: usage.usedOutputTokens,
      chunks,
      timeToFirstTokenMs: first - started,
      firstToLastMs: last - first,
      totalMs: performance.now() - started,
    });
  } finally {
    completion.dispose();
    await sequence.dispose();
    running = undefined;
  }
}

process.send({ type: 'ready', threads, contextSize: context.contextSize, loadMs, rssAtStart, rssBeforeLoad, rssAfterLoad });
