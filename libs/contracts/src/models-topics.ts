// Topics of the models service, the one process that loads model weights: generation (streamed to the requester
// only, every one a monitor job), cancellation, token counts for context budgeting, embeddings, its status, and the
// model catalog (list, import, pull with progress, remove, use). Error codes live here beside the topics.
import {
  CatalogChangedSchema,
  ImportModelRequestSchema,
  ImportModelResponseSchema,
  ListModelsRequestSchema,
  ListModelsResponseSchema,
  PullModelRequestSchema,
  PullModelResponseSchema,
  PullProgressSchema,
  RemoveModelRequestSchema,
  RemoveModelResponseSchema,
  UseModelRequestSchema,
  UseModelResponseSchema,
} from './gen/aico/models/v1/catalog_pb';
import {
  CancelGenerateRequestSchema,
  CancelGenerateResponseSchema,
  CountTokensRequestSchema,
  CountTokensResponseSchema,
  EmbedRequestSchema,
  EmbedResponseSchema,
  GenerateDeltaSchema,
  GenerateRequestSchema,
  GenerateResultSchema,
} from './gen/aico/models/v1/generate_pb';
import { ModelLoadedSchema, ModelsStatusRequestSchema, ModelsStatusResponseSchema, ModelUnloadedSchema } from './gen/aico/models/v1/runtime_pb';
import type { ServiceIdentity } from './identities';
import { defineEvent, defineRequest } from './topic-registry';

const models = ['models'] as const;
/** Who may change the catalog: a person at the command line, or through the gateway. */
const CATALOG_EDITORS: readonly ServiceIdentity[] = ['cli', 'gateway'];

/** Error codes the models service answers with. */
export enum ModelsErrorCode {
  InvalidArgument = 'MODELS_INVALID_ARGUMENT',
  /** No model is named, and none is in use for the purpose. */
  NoModel = 'MODELS_NO_MODEL',
  UnknownModel = 'MODELS_UNKNOWN_MODEL',
  AlreadyExists = 'MODELS_ALREADY_EXISTS',
  /** The file is not a GGUF file. */
  NotGguf = 'MODELS_NOT_GGUF',
  /** The GGUF file is damaged or cut short (llama.cpp's own reason in the message). */
  Damaged = 'MODELS_DAMAGED',
  UnknownArchitecture = 'MODELS_UNKNOWN_ARCHITECTURE',
  /** The model and its context need more memory than there is: refused before loading, with the numbers. */
  DoesNotFit = 'MODELS_DOES_NOT_FIT',
  LoadFailed = 'MODELS_LOAD_FAILED',
  /** The prompt does not fit the model's context. */
  PromptTooLong = 'MODELS_PROMPT_TOO_LONG',
  ChecksumMismatch = 'MODELS_CHECKSUM_MISMATCH',
  DiskFull = 'MODELS_DISK_FULL',
  DownloadFailed = 'MODELS_DOWNLOAD_FAILED',
  /** Too many generations wait already. */
  Busy = 'MODELS_BUSY',
  /** The configured back end (an Ollama server) cannot be reached. */
  BackendUnavailable = 'MODELS_BACKEND_UNAVAILABLE',
  /** The monitor refused the job (or could not be asked). */
  NotAdmitted = 'MODELS_NOT_ADMITTED',
}

export const ModelsTopics = {
  generate: defineRequest({
    topic: 'models.text.generate',
    payload: GenerateRequestSchema,
    response: GenerateResultSchema,
    stream: GenerateDeltaSchema,
    publishers: 'any',
    responders: models,
    contractVersion: 1,
    description:
      'A completion of a chat or a raw prompt, admitted by the monitor; deltas stream to the requester only, then the result with stop reason and usage.',
  }),
  generateCancel: defineRequest({
    topic: 'models.text.cancel',
    payload: CancelGenerateRequestSchema,
    response: CancelGenerateResponseSchema,
    publishers: 'any',
    responders: models,
    contractVersion: 1,
    description: 'Stops a generation at once (it ends cancelled, with its partial text).',
  }),
  tokensCount: defineRequest({
    topic: 'models.tokens.count',
    payload: CountTokensRequestSchema,
    response: CountTokensResponseSchema,
    publishers: 'any',
    responders: models,
    contractVersion: 1,
    description: 'Counts the tokens of a text or a chat with a model, and its context size.',
  }),
  embed: defineRequest({
    topic: 'models.embeddings.create',
    payload: EmbedRequestSchema,
    response: EmbedResponseSchema,
    publishers: 'any',
    responders: models,
    contractVersion: 1,
    description: 'Turns texts into vectors.',
  }),
  status: defineRequest({
    topic: 'models.service.status',
    payload: ModelsStatusRequestSchema,
    response: ModelsStatusResponseSchema,
    publishers: 'any',
    responders: models,
    contractVersion: 1,
    description: 'The back end, the loaded model (context, memory, unload time) and the generations running and waiting.',
  }),
  modelLoaded: defineEvent({
    topic: 'models.model.loaded',
    payload: ModelLoadedSchema,
    publishers: models,
    contractVersion: 1,
    description: 'A model is in memory.',
  }),
  modelUnloaded: defineEvent({
    topic: 'models.model.unloaded',
    payload: ModelUnloadedSchema,
    publishers: models,
    contractVersion: 1,
    description: 'A model left memory (keep-alive, critical resources, removed, replaced), and why.',
  }),
  catalogList: defineRequest({
    topic: 'models.catalog.list',
    payload: ListModelsRequestSchema,
    response: ListModelsResponseSchema,
    publishers: 'any',
    responders: models,
    contractVersion: 1,
    description: 'The model catalog with each file’s GGUF metadata.',
  }),
  catalogImport: defineRequest({
    topic: 'models.catalog.import',
    payload: ImportModelRequestSchema,
    response: ImportModelResponseSchema,
    publishers: CATALOG_EDITORS,
    responders: models,
    contractVersion: 1,
    description: 'Copies a local GGUF file into the catalog after checking it.',
  }),
  catalogPull: defineRequest({
    topic: 'models.catalog.pull',
    payload: PullModelRequestSchema,
    response: PullModelResponseSchema,
    stream: PullProgressSchema,
    publishers: CATALOG_EDITORS,
    responders: models,
    contractVersion: 1,
    description: 'Downloads a GGUF file into the catalog (resumable, SHA-256 checked, atomic), only when a person asks.',
  }),
  catalogRemove: defineRequest({
    topic: 'models.catalog.remove',
    payload: RemoveModelRequestSchema,
    response: RemoveModelResponseSchema,
    publishers: CATALOG_EDITORS,
    responders: models,
    contractVersion: 1,
    description: 'Removes a model and its file.',
  }),
  catalogUse: defineRequest({
    topic: 'models.catalog.use',
    payload: UseModelRequestSchema,
    response: UseModelResponseSchema,
    publishers: CATALOG_EDITORS,
    responders: models,
    contractVersion: 1,
    description: 'Makes a model the default for chat, background work or embeddings.',
  }),
  catalogChanged: defineEvent({
    topic: 'models.catalog.changed',
    payload: CatalogChangedSchema,
    publishers: models,
    contractVersion: 1,
    description: 'A model was imported, pulled, removed or put to use.',
  }),
} as const;
