// Consent-gated conversation memory: the service behind CONVERSATION_MEMORY (what the turn loop asks), the memory
// topics and consent decisions (MemoryController), facts in storage, jobs on the models service.
//
// It reads threads through THREAD_STORE, which the threads side provides: import it as
// `MemoryModule.register({ imports: [ModuleThatExportsThreadStore] })`, or import the plain MemoryModule when
// THREAD_STORE comes from a global module.
import { Module, type DynamicModule, type ModuleMetadata, type Provider } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import { ConversationTopics, GatewayTopics } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { StorageClient } from '@aico/storage-client';
import { THREAD_STORE, type ThreadStorePort } from '../threads/thread-store.port';
import { CONVERSATION_MEMORY } from './conversation-memory.port';
import { ConsentGate } from './consent-gate';
import { ConversationMemoryService, errorFacts } from './conversation-memory.service';
import { StorageMemoryFactStore } from './memory-fact-store';
import { BusMemoryModels } from './memory-models';
import { memoryConfigSchema, type MemoryConfig } from './memory.config';
import { MemoryController } from './memory.controller';

/** The memory settings of the app's config (`conversation.memory`), their defaults when the app has none. */
export const memorySettings = (config: unknown): MemoryConfig =>
  memoryConfigSchema.parse((config as { conversation?: { memory?: unknown } } | undefined)?.conversation?.memory ?? {});

const providers: Provider[] = [
  {
    provide: ConversationMemoryService,
    inject: [SERVICE_CONFIG, BusClient, SERVICE_LOGGER, THREAD_STORE],
    useFactory: (appConfig: unknown, bus: BusClient, logger: Logger, threads: ThreadStorePort) => {
      const config = memorySettings(appConfig);
      const log = logger.child({ context: 'ConversationMemory' });
      const consent = new ConsentGate(
        async (userId, purpose) => (await bus.request(GatewayTopics.consentCheck, { userId, purpose }, { timeoutMs: config.consentTimeoutMs })).granted,
        { cacheMs: config.consentCacheMs, onCheckFailed: (error) => log.warn(errorFacts(error), 'Consent check got no answer; memory stays off for now') },
      );
      return new ConversationMemoryService({
        config,
        consent,
        facts: new StorageMemoryFactStore(new StorageClient(bus)),
        threads,
        models: new BusMemoryModels(bus),
        publish: (changed) => bus.publish(ConversationTopics.memoryChanged, changed, { attributes: { user: changed.userId } }),
        logger: log,
      });
    },
  },
  { provide: CONVERSATION_MEMORY, useExisting: ConversationMemoryService },
];

@Module({ controllers: [MemoryController], providers, exports: [CONVERSATION_MEMORY] })
export class MemoryModule {
  /** MemoryModule with the modules that provide what it injects (THREAD_STORE); Nest adds these to its own metadata. */
  static register(options: { readonly imports?: ModuleMetadata['imports'] } = {}): DynamicModule {
    return { module: MemoryModule, imports: options.imports ?? [] };
  }
}
