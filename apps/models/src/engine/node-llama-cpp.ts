// node-llama-cpp is ESM-only with top-level await: `require()` cannot load it (ERR_REQUIRE_ASYNC_MODULE), so the app
// (compiled to CommonJS) imports it with `import()`, which the build keeps (DESIGN.md §9). Types only otherwise.
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

/** Loads node-llama-cpp once per process (its native binding is process-wide anyway). */
export type NodeLlamaCppLoader = () => Promise<NodeLlamaCpp>;

let loading: Promise<NodeLlamaCpp> | undefined;
export const importNodeLlamaCpp: NodeLlamaCppLoader = () => (loading ??= import('node-llama-cpp'));
