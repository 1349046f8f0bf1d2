// What the companion remembers of the caller (only with conversation.memory consent): every fact with the thread it
// came from, edit or delete one, or forget everything. Consent itself is PUT /consent/conversation.memory.
import { Controller, Delete, Get, HttpCode, Param, Patch, Req } from '@nestjs/common';
import { toJson } from '@bufbuild/protobuf';
import { BusClient } from '@aico/bus';
import { ConversationErrorCode, ConversationTopics, ForgetMemoryResponseSchema, ListMemoryResponseSchema, MemoryFactResponseSchema } from '@aico/contracts';
import { Permission } from '@aico/policy';
import { Access } from '../auth/access.decorator';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { ApiError } from '../http/api-error';
import { ForgetMemoryResponse, MAX_ID_CHARS, MemoryFactBody, MemoryFactResponse, MemoryResponse } from '../http/conversation-schemas';
import { Doc } from '../http/doc.decorator';
import { ValidBody, type Input } from '../http/valid-input';
import { callService } from '../http/service-call';

function checkedFactId(id: string): string {
  if (id.length === 0 || id.length > MAX_ID_CHARS) throw new ApiError(404, ConversationErrorCode.FactNotFound, 'You have no such remembered fact.');
  return id;
}

@Controller('memory')
export class MemoryController {
  constructor(private readonly bus: BusClient) {}

  @Doc('What the companion remembers of you: each fact with its source thread', { response: MemoryResponse })
  @Get()
  @Access(Permission.ConversationRead)
  async list(@Req() request: AuthenticatedRequest) {
    const userId = request.user!.sub;
    const memory = await callService('conversation', () => this.bus.request(ConversationTopics.memoryList, { userId }, { attributes: { user: userId } }));
    // `enabled` always present (toJson leaves out false).
    return { ...(toJson(ListMemoryResponseSchema, memory) as object), enabled: memory.enabled };
  }

  @Doc('Edit one remembered fact', { response: MemoryFactResponse })
  @Patch('facts/:id')
  @Access(Permission.ConversationRead)
  async edit(@Req() request: AuthenticatedRequest, @Param('id') id: string, @ValidBody(MemoryFactBody) { text }: Input<typeof MemoryFactBody>) {
    const userId = request.user!.sub;
    const fact = await callService('conversation', () => this.bus.request(ConversationTopics.memoryUpdate, { userId, factId: checkedFactId(id), text }, { attributes: { user: userId } }));
    return toJson(MemoryFactResponseSchema, fact);
  }

  @Doc('Delete one remembered fact')
  @Delete('facts/:id')
  @HttpCode(204)
  @Access(Permission.ConversationRead)
  async remove(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    const userId = request.user!.sub;
    await callService('conversation', () => this.bus.request(ConversationTopics.memoryDelete, { userId, factId: checkedFactId(id) }, { attributes: { user: userId } }));
  }

  @Doc('Forget everything remembered of you (facts and summaries)', { response: ForgetMemoryResponse })
  @Delete()
  @Access(Permission.ConversationRead)
  async forget(@Req() request: AuthenticatedRequest) {
    const userId = request.user!.sub;
    const forgotten = await callService('conversation', () => this.bus.request(ConversationTopics.memoryForget, { userId }, { attributes: { user: userId } }));
    return toJson(ForgetMemoryResponseSchema, forgotten);
  }
}
