// The conversation process: the companion's turn loop. A user's message into a thread, a prompt within the model's
// context, the reply streamed to that user (and spoken by the avatar sentence by sentence), memory only with consent.
import 'reflect-metadata';
import { runService } from '@aico/service';
import { ConversationAppModule } from './conversation-app.module';
import { conversationConfigSchema } from './conversation.config';

void runService({ identity: 'conversation', module: ConversationAppModule, configSchema: conversationConfigSchema });
