// The real engine for tests and benchmarks: node-llama-cpp's llama.cpp on the CPU, from the prebuilt binary only
// (nothing compiled, nothing downloaded), with its log captured. llama.cpp writes the real reason of a failed load
// ("tensor … data is not within the file bounds", "unknown model architecture: …") only to the log — loadModel
// rejects with a bare "Failed to load model" — and the log reaches JS through a thread-safe callback, sometimes
// AFTER the rejection. So a test waits for the line (a signal), it does not read the log right away.
import vm from 'node:vm';
import { importNodeLlamaCpp } from './import-node-llama-cpp.mjs';

/** Lines the engine logged, with a way to wait for one. */
export class EngineLog {
  lines = [];
  #waiters = new Set();

  add(level, message) {
    const line = { level, message: message.trimEnd() };
    this.lines.push(line);
    for (const waiter of this.#waiters) if (waiter.pattern.test(line.message)) waiter.resolve(line);
  }

  /** The first line (already logged or still to come) matching `pattern`; rejects after `deadlineMs`. */
  waitFor(pattern, { deadlineMs = 30_000 } = {}) {
    const seen = this.lines.find((line) => pattern.test(line.message));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        pattern,
        resolve: (line) => {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`the engine logged nothing matching ${pattern} within ${deadlineMs} ms`));
      }, deadlineMs);
      this.#waiters.add(waiter);
    });
  }

  clear() {
    this.lines.length = 0;
  }
}

/**
 * The engine for tests: CPU only, prebuilt binary only, at most `maxThreads` threads (1 by default: llama.cpp's
 * threads spin at barriers, and tests share the cores — docs/architecture.md §9), every line from `logLevel` up
 * captured in a log of the caller's own.
 *
 * There is one Llama per process, shared by every test file a Jest worker runs: node-llama-cpp 3.21.1 loses the log
 * of a second Llama (measured: its setLogger releases the previous thread-safe callback, whose finalizer runs later
 * and clears the process-wide "a JS logger is set" flag the new one had just set, so every later line goes to stderr
 * instead). The shared Llama is never disposed by a test file (it goes at process exit); `close()` unsubscribes the
 * caller's log.
 */
export async function openTestEngine({ maxThreads = 1, logLevel = 'warn' } = {}) {
  const shared = processWide();
  const { api, llama } = await (shared.engine ??= openSharedEngine(shared.logs));
  llama.maxThreads = maxThreads;
  llama.logLevel = logLevel;
  const log = new EngineLog();
  shared.logs.add(log);
  return { api, llama, log, close: () => shared.logs.delete(log) };
}

async function openSharedEngine(logs) {
  const api = await importNodeLlamaCpp();
  const llama = await api.getLlama({
    build: 'never',
    skipDownload: true,
    gpu: false,
    maxThreads: 1,
    logLevel: 'warn',
    logger: (level, message) => {
      for (const log of logs) log.add(level, message);
    },
  });
  return { api, llama };
}

const SHARED = Symbol.for('aico.tools.models.test-engine');

/**
 * The process's one store for the shared engine. Under Jest each test file gets this module afresh, in a realm of its
 * own, so the store lives on the main realm's global (node-llama-cpp lives there too: import-node-llama-cpp.mjs).
 */
function processWide() {
  const main = vm.runInThisContext('globalThis');
  main[SHARED] ??= { engine: undefined, logs: new Set() };
  return main[SHARED];
}
