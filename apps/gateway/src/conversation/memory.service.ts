// What the companion remembers of a user, asked of the conversation service for that user only. A fact id that
// cannot exist answers 404 without asking.
import { Injectable } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import { ConversationErrorCode, ConversationTopics } from '@aico/contracts';
import { ApiError } from '../http/api-error';
import { MAX_ID_CHARS } from '../http/conversation-schemas';
import { callService, onBehalfOf } from '../http/service-call';

function checkedFactId(id: string): string {
  if (id.length === 0 || id.length > MAX_ID_CHARS) throw new ApiError(404, ConversationErrorCode.FactNotFound, 'You have no such remembered fact.');
  return id;
}

@Injectable()
export class MemoryService {
  constructor(private readonly bus: BusClient) {}

  list(userId: string) {
    return callService('conversation', () => this.bus.request(ConversationTopics.memoryList, { userId }, onBehalfOf(userId)));
  }

  edit(userId: string, factId: string, text: string) {
    return callService('conversation', () =>
      this.bus.request(ConversationTopics.memoryUpdate, { userId, factId: checkedFactId(factId), text }, onBehalfOf(userId)),
    );
  }

  async remove(userId: string, factId: string): Promise<void> {
    await callService('conversation', () => this.bus.request(ConversationTopics.memoryDelete, { userId, factId: checkedFactId(factId) }, onBehalfOf(userId)));
  }

  forget(userId: string) {
    return callService('conversation', () => this.bus.request(ConversationTopics.memoryForget, { userId }, onBehalfOf(userId)));
  }
}
