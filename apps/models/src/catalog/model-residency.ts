// What the catalog needs from the engine: a model is out of memory before its file is removed. The engine implements
// ModelResidency and is provided as MODEL_RESIDENCY (`{ provide: MODEL_RESIDENCY, useExisting: <the engine> }`); the
// catalog looks it up when it removes a model, not when it is made, so the engine may inject the catalog itself.
export interface ModelResidency {
  /** Unloads the model if it is loaded (its running generations end first, as the engine decides); resolves when it is out of memory. */
  release(name: string): Promise<void>;
}

export const MODEL_RESIDENCY = Symbol('MODEL_RESIDENCY');

/** No engine: nothing is ever loaded, so nothing needs releasing. */
export const noModelResidency: ModelResidency = { release: () => Promise.resolve() };
