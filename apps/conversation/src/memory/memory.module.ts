import { Module } from '@nestjs/common';
import { CONVERSATION_MEMORY, type ConversationMemoryPort } from './conversation-memory.port';

// SEAM (issue 16): memory/ replaces this with consent-gated memory (facts, summaries, the memory topics).
const NO_MEMORY: ConversationMemoryPort = {
  promptContext: () => Promise.resolve([]),
  exchangeCompleted: () => undefined,
  threadDeleted: () => Promise.resolve(),
};

@Module({ providers: [{ provide: CONVERSATION_MEMORY, useValue: NO_MEMORY }], exports: [CONVERSATION_MEMORY] })
export class MemoryModule {}
