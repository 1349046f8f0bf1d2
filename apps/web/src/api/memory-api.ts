// The memory page's routes (issue 16's route spec): what the companion remembers of the caller (every fact with its
// source thread), edit and delete one fact, forget everything. Called through openapi-fetch with the generated OpenAPI
// types; the answers are also held to the protobuf JSON of proto/aico/conversation/v1/service.proto, which the page
// uses. Consent itself stays the privacy routes'.
import type { ForgetMemoryResponseJson, ListMemoryResponseJson, MemoryFactResponseJson } from '@aico/contracts';
import type { Api } from './api-client';

export type { ListMemoryResponseJson, MemoryFactViewJson, MemoryChangedJson } from '@aico/contracts';

export class MemoryApi {
  constructor(private readonly api: Api) {}

  list(): Promise<ListMemoryResponseJson> {
    return this.api.call(this.api.client.GET('/api/v1/memory'));
  }

  update(factId: string, text: string): Promise<MemoryFactResponseJson> {
    return this.api.call(this.api.client.PATCH('/api/v1/memory/facts/{id}', { params: { path: { id: factId } }, body: { text } }));
  }

  async remove(factId: string): Promise<void> {
    await this.api.call(this.api.client.DELETE('/api/v1/memory/facts/{id}', { params: { path: { id: factId } } }));
  }

  forget(): Promise<ForgetMemoryResponseJson> {
    return this.api.call(this.api.client.DELETE('/api/v1/memory'));
  }
}
