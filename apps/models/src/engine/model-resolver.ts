// Which file a request means: a catalog name, or the model in use for a purpose. The engine only needs the name,
// the file and the context length the model was trained for; the catalog (catalog/model-catalog.ts) answers it.
import type { ModelPurpose } from '@aico/contracts';

export interface ResolvedModel {
  /** The catalog name. */
  readonly name: string;
  readonly absolutePath: string;
  /** The context length the model was trained for (0: unknown, the file's metadata says). */
  readonly contextLength: number;
  /** From the GGUF header, for the fit check's advice ("F16", "Q4_K_M"; parameters 0 when unknown). */
  readonly quantization: string;
  readonly parameters: bigint;
}

export interface ModelQuery {
  /** A catalog name; empty: the model in use for `purpose`. */
  readonly name?: string;
  readonly purpose: ModelPurpose;
}

/** Finds the model a request means; throws ModelsError (UNKNOWN_MODEL, NO_MODEL) when there is none. */
export interface ModelResolver {
  resolve(query: ModelQuery): Promise<ResolvedModel>;
}

/** Injection token of the ModelResolver. */
export const MODEL_RESOLVER = Symbol('MODEL_RESOLVER');
