// Injection tokens of the models service's seams. MODEL_RESOLVER (engine/model-resolver.ts) and BEFORE_LOAD_HOOK
// (engine/before-load.hook.ts) are where the catalog plugs in; NODE_LLAMA_CPP_LOADER is how node-llama-cpp is loaded.
export { MODEL_RESOLVER } from './engine/model-resolver';
export { BEFORE_LOAD_HOOK } from './engine/before-load.hook';

export const NODE_LLAMA_CPP_LOADER = Symbol('NODE_LLAMA_CPP_LOADER');
