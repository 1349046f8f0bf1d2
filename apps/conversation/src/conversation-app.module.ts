import { Module } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import { StorageClient } from '@aico/storage-client';
import { ConversationController } from './conversation.controller';
import { MemoryModule } from './memory/memory.module';
import { PersonaService } from './persona/persona.service';
import { StorageThreadStore } from './threads/storage-thread-store';
import { THREAD_STORE } from './threads/thread-store.port';
import { ThreadsService } from './threads/threads.service';
import { InFlightReplies } from './turns/in-flight-replies';
import { ReplyWriter } from './turns/reply-writer';
import { TurnLoopService } from './turns/turn-loop.service';

/**
 * The threads and persona a global module of their own, so memory/ (imported here) can inject THREAD_STORE and the
 * storage client without importing the turn loop.
 */
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

/** The conversation service: the companion's turn loop, threads, persona and consent-gated memory. */
@Module({
  imports: [ConversationStoreModule, MemoryModule.register({ imports: [ConversationStoreModule] })],
  controllers: [ConversationController],
  providers: [ThreadsService, InFlightReplies, ReplyWriter, TurnLoopService],
})
export class ConversationAppModule {}
