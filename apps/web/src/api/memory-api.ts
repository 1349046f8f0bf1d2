// The memory page's routes (issue 16's route spec): what the companion remembers of the caller (every fact with its
// source thread), edit and delete one fact, forget everything. Answers are the protobuf JSON of
// proto/aico/conversation/v1/service.proto. Consent itself stays the privacy routes'.
import type { ForgetMemoryResponseJson, ListMemoryResponseJson, MemoryFactResponseJson } from '@aico/contracts';
import type { Api } from './api-client';

export type { ListMemoryResponseJson, MemoryFactViewJson, MemoryChangedJson } from '@aico/contracts';

const BASE = '/api/v1/memory';

export class MemoryApi {
  constructor(private readonly api: Api) {}

  list(): Promise<ListMemoryResponseJson> {
    return this.api.json('GET', BASE);
  }

  update(factId: string, text: string): Promise<MemoryFactResponseJson> {
    return this.api.json('PATCH', `${BASE}/facts/${encodeURIComponent(factId)}`, { text });
  }

  remove(factId: string): Promise<void> {
    return this.api.json('DELETE', `${BASE}/facts/${encodeURIComponent(factId)}`);
  }

  forget(): Promise<ForgetMemoryResponseJson> {
    return this.api.json('DELETE', BASE);
  }
}
