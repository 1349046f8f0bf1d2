// node-llama-cpp is ESM-only with top-level await: a CommonJS build loads it with import(), which the app build
// keeps as it is (DESIGN.md §9). Under Jest that import() becomes require() and fails, so whatever needs the module
// takes a loader by injection (NODE_LLAMA_CPP), and a test passes tools/models' Jest-safe one.
import type * as NodeLlamaCppModule from 'node-llama-cpp';

export type NodeLlamaCpp = typeof NodeLlamaCppModule;

/** Injection token of a `() => Promise<NodeLlamaCpp>` that imports node-llama-cpp once, when first asked. */
export const NODE_LLAMA_CPP = Symbol('NODE_LLAMA_CPP');

export type NodeLlamaCppLoader = () => Promise<NodeLlamaCpp>;

let loading: Promise<NodeLlamaCpp> | undefined;

/** The loader of a built app: a real import(), once per process (its native binding loads once). */
export const importNodeLlamaCpp: NodeLlamaCppLoader = () =>
  (loading ??= import('node-llama-cpp').then((module) => {
    keepFileSizeLimitErrors();
    return module;
  }));

/**
 * Loading llama.cpp's binding resets SIGXFSZ to its default action (measured: Node starts with it ignored, and after
 * the import it is not): a write past a file-size limit (RLIMIT_FSIZE) would then kill the process instead of
 * failing with EFBIG, which the catalog reports as DISK_FULL. A listener makes the signal harmless again.
 */
export function keepFileSizeLimitErrors(): void {
  if (process.platform !== 'win32' && process.listenerCount('SIGXFSZ') === 0) process.on('SIGXFSZ', () => undefined);
}
