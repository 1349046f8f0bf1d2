// The memory topics (`conversation.memory.*`: list, update, delete, forget), answered for the user the request names
// (the gateway sets it from the login, the CLI from its user), and consent decisions (`privacy.consent.changed`).
import { Controller, Inject, type OnApplicationShutdown } from '@nestjs/common';
import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { ConversationTopics, GatewayTopics } from '@aico/contracts';
import type { ConsentChanged, DeleteMemoryFactRequest, ForgetMemoryRequest, ListMemoryRequest, UpdateMemoryFactRequest } from '@aico/contracts';
import { ConversationError, ConversationErrorCode } from '../conversation.error';
import { ConversationMemoryService } from './conversation-memory.service';

const requireUser = (userId: string): string => {
  if (userId === '') throw new ConversationError(ConversationErrorCode.InvalidArgument, 'The request names no user.', { field: 'user_id' });
  return userId;
};

@Controller()
export class MemoryController implements OnApplicationShutdown {
  constructor(@Inject(ConversationMemoryService) private readonly memory: ConversationMemoryService) {}

  @MessagePattern(ConversationTopics.memoryList.topic)
  list(@Payload() request: ListMemoryRequest) {
    return this.memory.list(requireUser(request.userId));
  }

  @MessagePattern(ConversationTopics.memoryUpdate.topic)
  async update(@Payload() request: UpdateMemoryFactRequest) {
    return { fact: await this.memory.update(requireUser(request.userId), request.factId, request.text) };
  }

  @MessagePattern(ConversationTopics.memoryDelete.topic)
  async delete(@Payload() request: DeleteMemoryFactRequest) {
    await this.memory.delete(requireUser(request.userId), request.factId);
    return {};
  }

  @MessagePattern(ConversationTopics.memoryForget.topic)
  forget(@Payload() request: ForgetMemoryRequest) {
    return this.memory.forget(requireUser(request.userId));
  }

  @EventPattern(GatewayTopics.consentChanged.topic)
  consentChanged(@Payload() event: ConsentChanged): Promise<void> {
    return this.memory.consentChanged(event);
  }

  onApplicationShutdown(): Promise<void> {
    return this.memory.stop();
  }
}
