// The conversation service's bus contract: messages, replies (stop, regenerate), threads and the persona. Handlers
// parse and delegate; the rules live in the services. (Memory topics: memory/.)
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { BusClient, type ZmqContext } from '@aico/bus';
import {
  ConversationTopics,
  SupervisorTopics,
  ExportFormat,
  SupervisedAppState,
  type DeleteThreadRequest,
  type ExportThreadRequest,
  type GetThreadRequest,
  type ListMessagesRequest,
  type ListThreadsRequest,
  type RegenerateReplyRequest,
  type RenameThreadRequest,
  type SendMessageRequest,
  type StopReplyRequest,
  type SupervisedAppChanged,
  type UpdatePersonaRequest,
} from '@aico/contracts';
import { PersonaService } from './persona/persona.service';
import { ThreadsService } from './threads/threads.service';
import { TurnLoopService } from './turns/turn-loop.service';
import { ConversationError, ConversationErrorCode } from './conversation.error';

@Controller()
export class ConversationController {
  constructor(
    private readonly turns: TurnLoopService,
    private readonly threads: ThreadsService,
    private readonly persona: PersonaService,
    private readonly bus: BusClient,
  ) {}

  @MessagePattern(ConversationTopics.messageSend.topic)
  send(@Payload() request: SendMessageRequest, @Ctx() context: ZmqContext) {
    return this.turns.send(request, context.getCorrelationId());
  }

  @MessagePattern(ConversationTopics.replyRegenerate.topic)
  regenerate(@Payload() request: RegenerateReplyRequest) {
    return this.turns.regenerate(request);
  }

  @MessagePattern(ConversationTopics.replyStop.topic)
  async stop(@Payload() request: StopReplyRequest) {
    return { replyId: await this.turns.stop(request) };
  }

  @MessagePattern(ConversationTopics.threadsList.topic)
  listThreads(@Payload() request: ListThreadsRequest) {
    return this.threads.list(user(request.userId), request.limit, request.pageToken);
  }

  @MessagePattern(ConversationTopics.threadGet.topic)
  async getThread(@Payload() request: GetThreadRequest) {
    return { thread: await this.threads.get(user(request.userId), request.threadId) };
  }

  @MessagePattern(ConversationTopics.messagesList.topic)
  listMessages(@Payload() request: ListMessagesRequest) {
    return this.threads.messages(user(request.userId), request.threadId, request.afterId, request.limit);
  }

  @MessagePattern(ConversationTopics.threadRename.topic)
  async rename(@Payload() request: RenameThreadRequest) {
    return { thread: await this.threads.rename(user(request.userId), request.threadId, request.title) };
  }

  @MessagePattern(ConversationTopics.threadDelete.topic)
  async delete(@Payload() request: DeleteThreadRequest) {
    return { deletedMessages: await this.threads.delete(user(request.userId), request.threadId, (threadId, work) => this.turns.whileNoReply(threadId, work)) };
  }

  @MessagePattern(ConversationTopics.threadExport.topic)
  export(@Payload() request: ExportThreadRequest) {
    return this.threads.export(user(request.userId), request.threadId, request.format === ExportFormat.JSON ? ExportFormat.JSON : ExportFormat.MARKDOWN);
  }

  @MessagePattern(ConversationTopics.personaGet.topic)
  async getPersona() {
    return { persona: await this.persona.current() };
  }

  @MessagePattern(ConversationTopics.personaUpdate.topic)
  async updatePersona(@Payload() request: UpdatePersonaRequest, @Ctx() context: ZmqContext) {
    return { persona: await this.persona.update(request.persona, request.updatedBy || context.getSource()) };
  }

  /**
   * A crash of the models app the supervisor reports ends the replies it was writing at once (RESPONDER_GONE), rather
   * than after the stream's idle timeout; only the supervisor may publish this topic.
   */
  @EventPattern(SupervisorTopics.appChanged.topic)
  appChanged(@Payload() event: SupervisedAppChanged) {
    const app = event.app;
    if (app?.name !== 'models' || (app.state !== SupervisedAppState.BACKOFF && app.state !== SupervisedAppState.FAILED)) return;
    this.bus.abandonStreamsFrom('models', app.lastExit ? `it ended: ${app.lastExit}` : 'it ended');
  }
}

function user(userId: string): string {
  if (!userId) throw new ConversationError(ConversationErrorCode.InvalidArgument, 'The request names no user.', { field: 'userId' });
  return userId;
}
