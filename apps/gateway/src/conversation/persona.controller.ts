// The companion's persona (name, system prompt, sampling, the avatar's expression): everyone logged in reads it,
// only an admin (persona.manage) changes it. The conversation service keeps the one record.
import { Controller, Get, Put, Req } from '@nestjs/common';
import { toJson } from '@bufbuild/protobuf';
import { BusClient } from '@aico/bus';
import { ConversationTopics, PersonaResponseSchema } from '@aico/contracts';
import { Permission } from '@aico/policy';
import { Access } from '../auth/access.decorator';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { PersonaBody, PersonaResponse } from '../http/conversation-schemas';
import { Doc } from '../http/doc.decorator';
import { ValidBody, type Input } from '../http/valid-input';
import { callService } from '../http/service-call';

@Controller('persona')
export class PersonaController {
  constructor(private readonly bus: BusClient) {}

  @Doc("The companion's persona", { response: PersonaResponse })
  @Get()
  @Access('authenticated')
  async get() {
    return toJson(PersonaResponseSchema, await callService('conversation', () => this.bus.request(ConversationTopics.personaGet, {})));
  }

  @Doc("Change the companion's persona (admins)", { response: PersonaResponse })
  @Put()
  @Access(Permission.PersonaManage)
  async update(@Req() request: AuthenticatedRequest, @ValidBody(PersonaBody) input: Input<typeof PersonaBody>) {
    const userId = request.user!.sub;
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
    const updated = await callService('conversation', () => this.bus.request(ConversationTopics.personaUpdate, { persona, updatedBy: userId }, { attributes: { user: userId } }));
    return toJson(PersonaResponseSchema, updated);
  }
}
