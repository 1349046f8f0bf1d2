import { Module } from '@nestjs/common';

/** The conversation service: the companion's turn loop, threads, persona and consent-gated memory. */
@Module({})
export class ConversationAppModule {}
