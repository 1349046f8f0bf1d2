// The companion's conversations over REST, always the caller's own: send a message (the reply streams over /ws as
// conversation.reply.delta / .completed events to this user only), threads (list, get, messages, rename, delete,
// export), stop the reply being written, regenerate the last one. The conversation service keeps the threads and
// answers each request for the user the gateway names; another user's thread answers 404 like an unknown one.
import { randomUUID } from 'node:crypto';
import { Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { toJson } from '@bufbuild/protobuf';
import {
  ConversationErrorCode,
  DeleteThreadResponseSchema,
  GetThreadResponseSchema,
  ListMessagesResponseSchema,
  ListThreadsResponseSchema,
  MAX_CONVERSATION_MESSAGE_CHARS,
  StopReplyResponseSchema,
  ThreadSchema,
  type SendMessageResponse as SendMessageAnswer,
} from '@aico/contracts';
import { Permission } from '@aico/policy';
import { Access } from '../auth/access.decorator';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { badRequest } from '../http/api-error';
import {
  DeleteThreadResponse,
  ExportQuery,
  ExportResponse,
  MessagesQuery,
  MessagesResponse,
  RenameThreadBody,
  SendMessageBody,
  SendMessageResponse,
  StopReplyBody,
  StopReplyResponse,
  ThreadResponse,
  ThreadsQuery,
  ThreadsResponse,
} from '../http/conversation-schemas';
import { Doc } from '../http/doc.decorator';
import { ValidBody, ValidQuery, type Input, type InputChecks } from '../http/valid-input';
import { ConversationService } from './conversation.service';

/** The message body keeps the conversation's own codes for a too long and an empty text (what a front end shows). */
export const MESSAGE_CHECKS: InputChecks<typeof SendMessageBody> = {
  before(body) {
    const raw = (body ?? {}) as { text?: unknown };
    if (typeof raw.text === 'string' && raw.text.length > MAX_CONVERSATION_MESSAGE_CHARS) {
      throw badRequest(
        ConversationErrorCode.MessageTooLong,
        `A message may have at most ${MAX_CONVERSATION_MESSAGE_CHARS} characters; this one has ${raw.text.length}.`,
        { max: MAX_CONVERSATION_MESSAGE_CHARS },
      );
    }
  },
  after(input) {
    if (input.text.trim() === '') throw badRequest(ConversationErrorCode.EmptyMessage, 'The message is empty: write something to send.');
  },
};

const answered = (sent: SendMessageAnswer, correlationId: string) => ({
  threadId: sent.thread?.id ?? '',
  messageId: sent.message?.id ?? '',
  replyId: sent.replyId,
  correlationId,
  thread: sent.thread ? toJson(ThreadSchema, sent.thread) : {},
});

@Controller('conversation')
export class ConversationController {
  constructor(private readonly conversation: ConversationService) {}

  @Doc('Send a message to the companion (a new thread without conversationId); the reply streams over /ws as conversation.reply.delta events under replyId', {
    response: SendMessageResponse,
  })
  @Post('messages')
  @HttpCode(202)
  @Access(Permission.ConversationSend)
  async send(@Req() request: AuthenticatedRequest, @ValidBody(SendMessageBody, MESSAGE_CHECKS) input: Input<typeof SendMessageBody>) {
    const correlationId = randomUUID();
    return answered(await this.conversation.send(request.user!.sub, input, correlationId), correlationId);
  }

  @Doc("The caller's threads, most recently updated first", { response: ThreadsResponse })
  @Get('threads')
  @Access(Permission.ConversationRead)
  async threads(@Req() request: AuthenticatedRequest, @ValidQuery(ThreadsQuery) query: Input<typeof ThreadsQuery>) {
    return toJson(ListThreadsResponseSchema, await this.conversation.threads(request.user!.sub, query));
  }

  @Doc("One of the caller's threads", { response: ThreadResponse })
  @Get('threads/:id')
  @Access(Permission.ConversationRead)
  async thread(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    return toJson(GetThreadResponseSchema, await this.conversation.thread(request.user!.sub, id));
  }

  @Doc("A thread's messages, oldest first, after afterId", { response: MessagesResponse })
  @Get('threads/:id/messages')
  @Access(Permission.ConversationRead)
  async messages(@Req() request: AuthenticatedRequest, @Param('id') id: string, @ValidQuery(MessagesQuery) query: Input<typeof MessagesQuery>) {
    return toJson(ListMessagesResponseSchema, await this.conversation.messages(request.user!.sub, id, query));
  }

  @Doc('Rename a thread', { response: ThreadResponse })
  @Patch('threads/:id')
  @Access(Permission.ConversationSend)
  async rename(@Req() request: AuthenticatedRequest, @Param('id') id: string, @ValidBody(RenameThreadBody) { title }: Input<typeof RenameThreadBody>) {
    return toJson(GetThreadResponseSchema, await this.conversation.rename(request.user!.sub, id, title));
  }

  @Doc('Delete a thread and its messages from the database', { response: DeleteThreadResponse })
  @Delete('threads/:id')
  @Access(Permission.ConversationSend)
  async remove(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    const deleted = await this.conversation.remove(request.user!.sub, id);
    // Always present, 0 included (toJson leaves out default values).
    return { ...(toJson(DeleteThreadResponseSchema, deleted) as object), deletedMessages: deleted.deletedMessages };
  }

  @Doc('A thread as a file to download: Markdown (default) or JSON', { response: ExportResponse, fileTypes: ['text/markdown', 'application/json'] })
  @Get('threads/:id/export')
  @Access(Permission.ConversationRead)
  async export(
    @Req() request: AuthenticatedRequest,
    @Param('id') id: string,
    @ValidQuery(ExportQuery) { format }: Input<typeof ExportQuery>,
    @Res({ passthrough: true }) response: Response,
  ) {
    const file = await this.conversation.export(request.user!.sub, id, format ?? 'markdown');
    response.setHeader('Content-Type', file.contentType || (format === 'json' ? 'application/json; charset=utf-8' : 'text/markdown; charset=utf-8'));
    response.setHeader(
      'Content-Disposition',
      `attachment; filename="${asciiFileName(file.fileName)}"; filename*=UTF-8''${encodeURIComponent(file.fileName || 'thread')}`,
    );
    response.setHeader('Cache-Control', 'no-store');
    return file.content;
  }

  @Doc('Stop the reply being written in a thread (and the avatar speaking it)', { response: StopReplyResponse })
  @Post('threads/:id/stop')
  @HttpCode(200)
  @Access(Permission.ConversationSend)
  async stop(@Req() request: AuthenticatedRequest, @Param('id') id: string, @ValidBody(StopReplyBody) { replyId }: Input<typeof StopReplyBody>) {
    return toJson(StopReplyResponseSchema, await this.conversation.stop(request.user!.sub, id, replyId));
  }

  @Doc("Write a thread's last reply again; it streams like a new one", { response: SendMessageResponse })
  @Post('threads/:id/regenerate')
  @HttpCode(202)
  @Access(Permission.ConversationSend)
  async regenerate(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    const correlationId = randomUUID();
    return answered(await this.conversation.regenerate(request.user!.sub, id, correlationId), correlationId);
  }
}

/** The file name for the plain `filename=` parameter: quotes, backslashes and non-ASCII replaced. */
function asciiFileName(name: string): string {
  return (name || 'thread').replace(/[^\x20-\x7e]|["\\]/g, '_');
}
