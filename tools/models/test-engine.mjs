// The real engine for tests and benchmarks: node-llama-cpp's llama.cpp on the CPU, from the prebuilt binary only
// (nothing compiled, nothing downloaded), with its log captured. llama.cpp writes the real reason of a failed load
// ("tensor … data is not within the file bounds", "unknown model architecture: …") only to the log — loadModel
// rejects with a bare "Failed to load model" — and the log reaches JS through a thread-safe callback, sometimes
// AFTER the rejection. So a test waits for the line (a signal), it does not read the log right away.
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
 * getLlama for tests: CPU only, prebuilt binary only, at most `maxThreads` threads (1 by default: llama.cpp's
 * threads spin at barriers, and tests share the cores — docs/architecture.md §9), every line from `logLevel` up captured.
 * One Llama per process is enough: the native logger is process-wide, so the last getLlama's logger gets the lines.
 */
export async function openTestEngine({ maxThreads = 1, logLevel = 'warn' } = {}) {
  const api = await importNodeLlamaCpp();
  const log = new EngineLog();
  const llama = await api.getLlama({
    build: 'never',
    skipDownload: true,
    gpu: false,
    maxThreads,
    logLevel,
    logger: (level, message) => log.add(level, message),
  });
  return { api, llama, log };
}
