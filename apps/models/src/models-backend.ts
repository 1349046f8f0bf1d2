// What the bus operations of the models service need from a back end: llama.cpp in this process (ModelsService) or
// an Ollama server the user runs (OllamaModelsService). The controller talks to this, so `models.backend` picks one
// at start and the bus contract stays the same.
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ResponseStream } from '@aico/bus';
import type {
  CancelGenerateRequest,
  CountTokensRequest,
  EmbedRequest,
  GenerateDeltaSchema,
  GenerateRequest,
  ModelsStatusResponseSchema,
} from '@aico/contracts';
import type { GenerateResultInit } from './generation/generation';

export const MODELS_BACKEND = Symbol('MODELS_BACKEND');

export interface ModelsBackend {
  start(): void;
  generate(
    request: GenerateRequest,
    stream: ResponseStream<typeof GenerateDeltaSchema>,
    meta: { id: string; source: string; deadlineMs: number | undefined },
  ): Promise<GenerateResultInit>;
  cancel(request: CancelGenerateRequest, source: string): { found: boolean };
  countTokens(request: CountTokensRequest): Promise<{ tokens: number; contextSize: number; model: string }>;
  embed(request: EmbedRequest, deadlineMs: number | undefined): Promise<{ embeddings: { values: number[] }[]; dimensions: number; model: string }>;
  status(): MessageInitShape<typeof ModelsStatusResponseSchema> | Promise<MessageInitShape<typeof ModelsStatusResponseSchema>>;
  /** Unloads a model now (the catalog removed it). */
  unloadModel(name: string): Promise<void>;
  stop(): Promise<void>;
}
