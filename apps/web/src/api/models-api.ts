// The Models page's routes (issue 16's route spec): the catalog with whether each model fits this machine, the
// models service's status, import, pull (progress over the WebSocket), use for chat, remove. Answers are the protobuf
// JSON of proto/aico/models/v1 (called through openapi-fetch with the generated OpenAPI types, and held to those).
import type { CatalogModelJson, ImportModelResponseJson, PullProgressJson, RemoveModelResponseJson, UseModelResponseJson } from '@aico/contracts';
import type { Api } from './api-client';
import type { RouteAnswer } from './route-types';

export type { CatalogModelJson, ListModelsResponseJson, ModelFitJson, ModelsStatusResponseJson, PullProgressJson } from '@aico/contracts';

/** `GET /models`: the catalog and the models service's status (null when the service could not be asked). */
export type ModelsOverview = RouteAnswer<'/api/v1/models', 'get'>;

/** `models.catalog.pull.progress` frames (made by the gateway for the user who started the pull). */
export type PullProgressEvent = PullProgressJson & { readonly pullId?: string };
/** `models.catalog.pull.completed`: the new model, or why the pull failed. */
export interface PullCompletedEvent {
  readonly pullId?: string;
  readonly model?: CatalogModelJson;
  readonly error?: string | { readonly code?: string; readonly message?: string };
}

export const PULL_PROGRESS_TOPIC = 'models.catalog.pull.progress';
export const PULL_COMPLETED_TOPIC = 'models.catalog.pull.completed';

export class ModelsApi {
  constructor(private readonly api: Api) {}

  list(): Promise<ModelsOverview> {
    return this.api.call(this.api.client.GET('/api/v1/models'));
  }

  import(path: string, name?: string): Promise<ImportModelResponseJson> {
    return this.api.call(this.api.client.POST('/api/v1/models/import', { body: { path, ...(name ? { name } : {}) } }));
  }

  pull(source: string, name?: string, sha256?: string): Promise<RouteAnswer<'/api/v1/models/pull', 'post'>> {
    return this.api.call(this.api.client.POST('/api/v1/models/pull', { body: { source, ...(name ? { name } : {}), ...(sha256 ? { sha256 } : {}) } }));
  }

  use(name: string): Promise<UseModelResponseJson> {
    return this.api.call(this.api.client.PUT('/api/v1/models/active', { body: { name } }));
  }

  remove(name: string): Promise<RemoveModelResponseJson> {
    return this.api.call(this.api.client.DELETE('/api/v1/models/{name}', { params: { path: { name } } }));
  }
}

/** Whether a catalog model is the one chat uses. */
export function isChatModel(model: CatalogModelJson): boolean {
  return (model.usedFor ?? []).includes('MODEL_PURPOSE_CHAT');
}

/** The message of a failed pull, whatever shape the gateway gave it. */
export function pullError(event: PullCompletedEvent): string | undefined {
  if (!event.error) return undefined;
  return typeof event.error === 'string' ? event.error : (event.error.message ?? event.error.code ?? 'The pull failed.');
}
