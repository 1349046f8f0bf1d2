import { Module } from '@nestjs/common';
import { ConversationController } from './conversation.controller';
import { MemoryModule } from './memory/memory.module';
import { ConversationStoreModule } from './threads/conversation-store.module';
import { ThreadsService } from './threads/threads.service';
import { InFlightReplies } from './turns/in-flight-replies';
import { ReplyWriter } from './turns/reply-writer';
import { TurnLoopService } from './turns/turn-loop.service';

/** The conversation service: the companion's turn loop, threads, persona and consent-gated memory. */
@Module({
  imports: [ConversationStoreModule, MemoryModule],
  controllers: [ConversationController],
  providers: [ThreadsService, InFlightReplies, ReplyWriter, TurnLoopService],
})
export class ConversationAppModule {}
