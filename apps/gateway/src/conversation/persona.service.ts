// The companion's persona, kept by the conversation service as one record; a change names who made it.
import { Injectable } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import { ConversationTopics } from '@aico/contracts';
import type { PersonaBody } from '../http/conversation-schemas';
import { callService, onBehalfOf } from '../http/service-call';
import type { Input } from '../http/valid-input';

@Injectable()
export class PersonaService {
  constructor(private readonly bus: BusClient) {}

  get() {
    return callService('conversation', () => this.bus.request(ConversationTopics.personaGet, {}));
  }

  update(userId: string, input: Input<typeof PersonaBody>) {
    const persona = {
      id: 'default',
      name: input.name,
      systemPrompt: input.systemPrompt,
      maxTokens: input.maxTokens ?? 0,
      expression: input.expression,
      ...(input.temperature !== undefined ? { temperature: input.temperature } : {}),
      ...(input.topP !== undefined ? { topP: input.topP } : {}),
      ...(input.topK !== undefined ? { topK: input.topK } : {}),
    };
    return callService('conversation', () => this.bus.request(ConversationTopics.personaUpdate, { persona, updatedBy: userId }, onBehalfOf(userId)));
  }
}
