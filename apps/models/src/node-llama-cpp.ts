// node-llama-cpp is ESM-only with top-level await: `require()` cannot load it (ERR_REQUIRE_ASYNC_MODULE), so the app
// (compiled to CommonJS) imports it with `import()`, which the build keeps (docs/architecture.md §9). Under Jest that import()
// becomes require() and fails, so whatever needs the module takes a loader by injection (NODE_LLAMA_CPP), and a test
// passes tools/models' Jest-safe one. Types only otherwise.
import type * as NodeLlamaCppModule from 'node-llama-cpp' with { 'resolution-mode': 'import' };

export type NodeLlamaCpp = typeof NodeLlamaCppModule;
export type {
  ChatHistoryItem,
  Llama,
  LlamaChat,
  LlamaCompletion,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
  Token,
} from 'node-llama-cpp' with { 'resolution-mode': 'import' };

/** Injection token of a NodeLlamaCppLoader. */
export const NODE_LLAMA_CPP = Symbol('NODE_LLAMA_CPP');

/** Loads node-llama-cpp once per process (its native binding is process-wide anyway). */
export type NodeLlamaCppLoader = () => Promise<NodeLlamaCpp>;

let loading: Promise<NodeLlamaCpp> | undefined;

/** The loader of a built app: a real import(), once per process. */
export const importNodeLlamaCpp: NodeLlamaCppLoader = () =>
  (loading ??= import('node-llama-cpp').then((module) => {
    keepFileSizeLimitErrors();
    return module;
  }));

let fileSizeLimitListener: (() => void) | undefined;

/**
 * Importing node-llama-cpp turns SIGXFSZ from ignored (Node's default) into deadly (measured): a signal-exit style
 * listener re-raises it when no other listener is there. A write past a file-size limit (RLIMIT_FSIZE) would then
 * kill the process instead of failing with EFBIG, which the catalog reports as DISK_FULL. A listener of our own
 * makes the signal harmless again.
 */
export function keepFileSizeLimitErrors(): void {
  if (process.platform === 'win32' || fileSizeLimitListener) return;
  fileSizeLimitListener = () => undefined;
  process.on('SIGXFSZ', fileSizeLimitListener);
}
