// What the companion remembers of the caller (only with conversation.memory consent): every fact with the thread it
// came from, edit or delete one, or forget everything. Consent itself is PUT /consent/conversation.memory.
import { Controller, Delete, Get, HttpCode, Param, Patch, Req } from '@nestjs/common';
import { toJson } from '@bufbuild/protobuf';
import { ForgetMemoryResponseSchema, ListMemoryResponseSchema, MemoryFactResponseSchema } from '@aico/contracts';
import { Permission } from '@aico/policy';
import { Access } from '../auth/access.decorator';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { ForgetMemoryResponse, MemoryFactBody, MemoryFactResponse, MemoryResponse } from '../http/conversation-schemas';
import { Doc } from '../http/doc.decorator';
import { ValidBody, type Input } from '../http/valid-input';
import { MemoryService } from './memory.service';

@Controller('memory')
export class MemoryController {
  constructor(private readonly memory: MemoryService) {}

  @Doc('What the companion remembers of you: each fact with its source thread', { response: MemoryResponse })
  @Get()
  @Access(Permission.ConversationRead)
  async list(@Req() request: AuthenticatedRequest) {
    const memory = await this.memory.list(request.user!.sub);
    // `enabled` always present (toJson leaves out false).
    return { ...(toJson(ListMemoryResponseSchema, memory) as object), enabled: memory.enabled };
  }

  @Doc('Edit one remembered fact', { response: MemoryFactResponse })
  @Patch('facts/:id')
  @Access(Permission.ConversationRead)
  async edit(@Req() request: AuthenticatedRequest, @Param('id') id: string, @ValidBody(MemoryFactBody) { text }: Input<typeof MemoryFactBody>) {
    return toJson(MemoryFactResponseSchema, await this.memory.edit(request.user!.sub, id, text));
  }

  @Doc('Delete one remembered fact')
  @Delete('facts/:id')
  @HttpCode(204)
  @Access(Permission.ConversationRead)
  async remove(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    await this.memory.remove(request.user!.sub, id);
  }

  @Doc('Forget everything remembered of you (facts and summaries)', { response: ForgetMemoryResponse })
  @Delete()
  @Access(Permission.ConversationRead)
  async forget(@Req() request: AuthenticatedRequest) {
    return toJson(ForgetMemoryResponseSchema, await this.memory.forget(request.user!.sub));
  }
}
