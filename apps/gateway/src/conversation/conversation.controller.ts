// The companion's conversations over REST, always the caller's own: send a message (the reply streams over /ws as
// conversation.reply.delta / .completed events to this user only), threads (list, get, messages, rename, delete,
// export), stop the reply being written, regenerate the last one. The conversation service keeps the threads and
// answers each request for the user the gateway names; another user's thread answers 404 like an unknown one.
import { randomUUID } from 'node:crypto';
import { Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import { toJson } from '@bufbuild/protobuf';
import { BusClient } from '@aico/bus';
import {
  ConversationErrorCode,
  ConversationTopics,
  DeleteThreadResponseSchema,
  ExportFormat,
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
import { ApiError, badRequest } from '../http/api-error';
import {
  DeleteThreadResponse,
  ExportQuery,
  ExportResponse,
  MAX_ID_CHARS,
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
import { ValidBody, ValidQuery, type InputChecks, type Input } from '../http/valid-input';
import { callService } from '../http/service-call';

/** A thread id that cannot exist (too long) answers like an unknown one, without asking the service. */
export function checkedThreadId(id: string): string {
  if (id.length === 0 || id.length > MAX_ID_CHARS) throw new ApiError(404, ConversationErrorCode.ThreadNotFound, 'You have no such thread.');
  return id;
}

/** The message body keeps the conversation's own codes for a too long and an empty text (what a front end shows). */
export const MESSAGE_CHECKS: InputChecks<typeof SendMessageBody> = {
  before(body) {
    const raw = (body ?? {}) as { text?: unknown };
    if (typeof raw.text === 'string' && raw.text.length > MAX_CONVERSATION_MESSAGE_CHARS) {
      throw badRequest(ConversationErrorCode.MessageTooLong, `A message may have at most ${MAX_CONVERSATION_MESSAGE_CHARS} characters; this one has ${raw.text.length}.`, { max: MAX_CONVERSATION_MESSAGE_CHARS });
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

/**
 * Sending and regenerating store several records one after another before they answer: on a busy machine that can
 * pass the bus's default 5 s, and a 503 for a message that was in fact stored is what made a front end show it twice.
 */
const STORING_TIMEOUT_MS = 30_000;

@Controller('conversation')
export class ConversationController {
  constructor(private readonly bus: BusClient) {}

  @Doc('Send a message to the companion (a new thread without conversationId); the reply streams over /ws as conversation.reply.delta events under replyId', { response: SendMessageResponse })
  @Post('messages')
  @HttpCode(202)
  @Access(Permission.ConversationSend)
  async send(@Req() request: AuthenticatedRequest, @ValidBody(SendMessageBody, MESSAGE_CHECKS) input: Input<typeof SendMessageBody>) {
    const userId = request.user!.sub;
    const correlationId = randomUUID();
    const sent = await callService('conversation', () =>
      this.bus.request(ConversationTopics.messageSend, { userId, text: input.text, client: input.client ?? 'api', threadId: input.conversationId ?? '' }, { correlationId, attributes: { user: userId }, timeoutMs: STORING_TIMEOUT_MS }),
    );
    return answered(sent, correlationId);
  }

  @Doc("The caller's threads, most recently updated first", { response: ThreadsResponse })
  @Get('threads')
  @Access(Permission.ConversationRead)
  async threads(@Req() request: AuthenticatedRequest, @ValidQuery(ThreadsQuery) input: Input<typeof ThreadsQuery>) {
    const userId = request.user!.sub;
    const page = await callService('conversation', () => this.bus.request(ConversationTopics.threadsList, { userId, limit: input.limit ?? 50, pageToken: input.pageToken ?? '' }, { attributes: { user: userId } }));
    return toJson(ListThreadsResponseSchema, page);
  }

  @Doc('One of the caller\'s threads', { response: ThreadResponse })
  @Get('threads/:id')
  @Access(Permission.ConversationRead)
  async thread(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    const userId = request.user!.sub;
    const found = await callService('conversation', () => this.bus.request(ConversationTopics.threadGet, { userId, threadId: checkedThreadId(id) }, { attributes: { user: userId } }));
    return toJson(GetThreadResponseSchema, found);
  }

  @Doc("A thread's messages, oldest first, after afterId", { response: MessagesResponse })
  @Get('threads/:id/messages')
  @Access(Permission.ConversationRead)
  async messages(@Req() request: AuthenticatedRequest, @Param('id') id: string, @ValidQuery(MessagesQuery) input: Input<typeof MessagesQuery>) {
    const userId = request.user!.sub;
    const page = await callService('conversation', () =>
      this.bus.request(ConversationTopics.messagesList, { userId, threadId: checkedThreadId(id), afterId: input.afterId ?? '', limit: input.limit ?? 100 }, { attributes: { user: userId } }),
    );
    return toJson(ListMessagesResponseSchema, page);
  }

  @Doc('Rename a thread', { response: ThreadResponse })
  @Patch('threads/:id')
  @Access(Permission.ConversationSend)
  async rename(@Req() request: AuthenticatedRequest, @Param('id') id: string, @ValidBody(RenameThreadBody) { title }: Input<typeof RenameThreadBody>) {
    const userId = request.user!.sub;
    const renamed = await callService('conversation', () => this.bus.request(ConversationTopics.threadRename, { userId, threadId: checkedThreadId(id), title }, { attributes: { user: userId } }));
    return toJson(GetThreadResponseSchema, renamed);
  }

  @Doc('Delete a thread and its messages from the database', { response: DeleteThreadResponse })
  @Delete('threads/:id')
  @Access(Permission.ConversationSend)
  async remove(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    const userId = request.user!.sub;
    const deleted = await callService('conversation', () => this.bus.request(ConversationTopics.threadDelete, { userId, threadId: checkedThreadId(id) }, { attributes: { user: userId } }));
    // Always present, 0 included (toJson leaves out default values).
    return { ...(toJson(DeleteThreadResponseSchema, deleted) as object), deletedMessages: deleted.deletedMessages };
  }

  @Doc('A thread as a file to download: Markdown (default) or JSON', { response: ExportResponse, fileTypes: ['text/markdown', 'application/json'] })
  @Get('threads/:id/export')
  @Access(Permission.ConversationRead)
  async export(@Req() request: AuthenticatedRequest, @Param('id') id: string, @ValidQuery(ExportQuery) { format }: Input<typeof ExportQuery>, @Res({ passthrough: true }) response: Response) {
    const userId = request.user!.sub;
    const file = await callService('conversation', () =>
      this.bus.request(ConversationTopics.threadExport, { userId, threadId: checkedThreadId(id), format: format === 'json' ? ExportFormat.JSON : ExportFormat.MARKDOWN }, { attributes: { user: userId } }),
    );
    response.setHeader('Content-Type', file.contentType || (format === 'json' ? 'application/json; charset=utf-8' : 'text/markdown; charset=utf-8'));
    response.setHeader('Content-Disposition', `attachment; filename="${asciiFileName(file.fileName)}"; filename*=UTF-8''${encodeURIComponent(file.fileName || 'thread')}`);
    response.setHeader('Cache-Control', 'no-store');
    return file.content;
  }

  @Doc('Stop the reply being written in a thread (and the avatar speaking it)', { response: StopReplyResponse })
  @Post('threads/:id/stop')
  @HttpCode(200)
  @Access(Permission.ConversationSend)
  async stop(@Req() request: AuthenticatedRequest, @Param('id') id: string, @ValidBody(StopReplyBody) { replyId }: Input<typeof StopReplyBody>) {
    const userId = request.user!.sub;
    const stopped = await callService('conversation', () => this.bus.request(ConversationTopics.replyStop, { userId, threadId: checkedThreadId(id), replyId: replyId ?? '' }, { attributes: { user: userId } }));
    return toJson(StopReplyResponseSchema, stopped);
  }

  @Doc("Write a thread's last reply again; it streams like a new one", { response: SendMessageResponse })
  @Post('threads/:id/regenerate')
  @HttpCode(202)
  @Access(Permission.ConversationSend)
  async regenerate(@Req() request: AuthenticatedRequest, @Param('id') id: string) {
    const userId = request.user!.sub;
    const correlationId = randomUUID();
    const sent = await callService('conversation', () => this.bus.request(ConversationTopics.replyRegenerate, { userId, threadId: checkedThreadId(id) }, { correlationId, attributes: { user: userId }, timeoutMs: STORING_TIMEOUT_MS }));
    return answered(sent, correlationId);
  }
}

/** The file name for the plain `filename=` parameter: quotes, backslashes and non-ASCII replaced. */
function asciiFileName(name: string): string {
  return (name || 'thread').replace(/[^\x20-\x7e]|["\\]/g, '_');
}
