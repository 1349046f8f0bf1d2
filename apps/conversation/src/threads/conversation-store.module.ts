import { Global, Module } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import { StorageClient } from '@aico/storage-client';
import { PersonaService } from '../persona/persona.service';
import { StorageThreadStore } from './storage-thread-store';
import { THREAD_STORE } from './thread-store.port';

/**
 * Storage as the conversation service uses it: the storage client, the threads (THREAD_STORE) and the persona.
 * Global, so memory/ injects them without importing the turn loop's modules.
 */
@Global()
@Module({
  providers: [
    { provide: StorageClient, inject: [BusClient], useFactory: (bus: BusClient) => new StorageClient(bus) },
    StorageThreadStore,
    { provide: THREAD_STORE, useExisting: StorageThreadStore },
    PersonaService,
  ],
  exports: [StorageClient, StorageThreadStore, THREAD_STORE, PersonaService],
})
export class ConversationStoreModule {}
