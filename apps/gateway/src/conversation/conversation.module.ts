// The companion over REST: conversations (threads, messages, replies), its persona and what it remembers of a user.
import { Module } from '@nestjs/common';
import { ConversationController } from './conversation.controller';
import { ConversationService } from './conversation.service';
import { MemoryController } from './memory.controller';
import { MemoryService } from './memory.service';
import { PersonaController } from './persona.controller';
import { PersonaService } from './persona.service';

@Module({
  controllers: [ConversationController, PersonaController, MemoryController],
  providers: [ConversationService, PersonaService, MemoryService],
  exports: [ConversationService, PersonaService, MemoryService],
})
export class ConversationModule {}
