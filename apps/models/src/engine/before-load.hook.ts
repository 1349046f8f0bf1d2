// A check run right before a model is loaded, with the engine at hand: the catalog's fit check plugs in here
// (estimate the memory the model and its context need, refuse with the numbers). A throw refuses the load; its
// error (a ModelsError such as DOES_NOT_FIT) goes back to the requester as it is.
import type { Llama } from '../node-llama-cpp';
import type { ResolvedModel } from './model-resolver';

export interface LoadPlan {
  readonly model: ResolvedModel;
  /** The context the engine is about to create: tokens per sequence, sequences, GPU layers. */
  readonly contextSize: number;
  readonly sequences: number;
  readonly gpuLayers: number | 'auto';
  /** Memory the load must leave available (the monitor's critical limit); 0 when no monitor said. */
  readonly memoryFloorBytes?: number;
}

export interface BeforeLoadHook {
  beforeLoad(plan: LoadPlan, llama: Llama): Promise<void>;
}

/** Injection token of the BeforeLoadHook; the default does nothing. */
export const BEFORE_LOAD_HOOK = Symbol('BEFORE_LOAD_HOOK');

export const noBeforeLoadCheck: BeforeLoadHook = { beforeLoad: async () => undefined };
