// A message from the front end goes on the bus for the companion; the answer comes back over the WebSocket under
// the correlation id returned here.
import { randomUUID } from 'node:crypto';
import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import { ConversationTopics } from '@aico/contracts';
import { Permission } from '@aico/policy';
import { Access } from '../auth/access.decorator';
import { Doc } from '../http/doc.decorator';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { ConversationMessageBody, ConversationMessageResponse } from '../http/schemas';
import { parseInput } from '../http/validation';

@Controller('conversation')
export class ConversationController {
  constructor(private readonly bus: BusClient) {}

  @Doc('Send a message to the companion; follow the answer on /ws by the returned correlation id', { body: ConversationMessageBody, response: ConversationMessageResponse })
  @Post('messages')
  @HttpCode(202)
  @Access(Permission.ConversationSend)
  async send(@Req() request: AuthenticatedRequest, @Body() body: unknown) {
    const input = parseInput(ConversationMessageBody, body);
    const correlationId = randomUUID();
    // SEAM (issue 16): the gateway helper turns this into the full route (errors mapped, thread and reply ids answered).
    const sent = await this.bus.request(ConversationTopics.messageSend, { userId: request.user!.sub, text: input.text, client: input.client ?? 'api', threadId: input.conversationId ?? '' }, { correlationId, attributes: { user: request.user!.sub } });
    return { messageId: sent.message?.id ?? '', correlationId };
  }
}
