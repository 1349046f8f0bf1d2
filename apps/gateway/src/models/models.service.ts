// The Models page's questions to the models service: the catalog with whether each model fits this machine now (and
// the service's status, a second opinion a catalog is still worth showing without), importing a local file, choosing
// the chat model and removing one. Pulls run in ModelPulls, which streams their progress to the user's WebSockets.
import { Injectable } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import { ModelPurpose, ModelsTopics } from '@aico/contracts';
import type { ImportModelBody } from '../http/conversation-schemas';
import { callService, onBehalfOf } from '../http/service-call';
import type { Input } from '../http/valid-input';

/** Copying and hashing a large file takes a while. */
const IMPORT_TIMEOUT_MS = 30 * 60_000;
const REMOVE_TIMEOUT_MS = 60_000;

@Injectable()
export class ModelsService {
  constructor(private readonly bus: BusClient) {}

  async catalog() {
    const catalog = await callService('models', () => this.bus.request(ModelsTopics.catalogList, { withFit: true }));
    const status = await this.bus.request(ModelsTopics.status, {}).catch(() => undefined);
    return { catalog, status };
  }

  import(userId: string, input: Input<typeof ImportModelBody>) {
    return callService('models', () =>
      this.bus.request(ModelsTopics.catalogImport, { path: input.path, name: input.name ?? '' }, { timeoutMs: IMPORT_TIMEOUT_MS, ...onBehalfOf(userId) }),
    );
  }

  use(userId: string, name: string) {
    return callService('models', () => this.bus.request(ModelsTopics.catalogUse, { name, purpose: ModelPurpose.CHAT }, onBehalfOf(userId)));
  }

  remove(userId: string, name: string) {
    return callService('models', () => this.bus.request(ModelsTopics.catalogRemove, { name }, { timeoutMs: REMOVE_TIMEOUT_MS, ...onBehalfOf(userId) }));
  }
}
