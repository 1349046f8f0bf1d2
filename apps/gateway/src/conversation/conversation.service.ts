// The caller's conversations, asked of the conversation service over the bus, always for the user the gateway
// authenticated (the service answers another user's thread like an unknown one). A thread id that cannot exist
// answers 404 without asking; a service that does not answer is 503 CONVERSATION_SERVICE_UNAVAILABLE (service-call.ts).
import { Injectable } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import { ConversationErrorCode, ConversationTopics, ExportFormat } from '@aico/contracts';
import { ApiError } from '../http/api-error';
import { MAX_ID_CHARS, type MessagesQuery, type SendMessageBody, type ThreadsQuery } from '../http/conversation-schemas';
import { callService, onBehalfOf } from '../http/service-call';
import type { Input } from '../http/valid-input';

/** A thread id that cannot exist (too long) answers like an unknown one, without asking the service. */
export function checkedThreadId(id: string): string {
  if (id.length === 0 || id.length > MAX_ID_CHARS) throw new ApiError(404, ConversationErrorCode.ThreadNotFound, 'You have no such thread.');
  return id;
}

/**
 * Sending and regenerating store several records one after another before they answer: on a busy machine that can
 * pass the bus's default 5 s, and a 503 for a message that was in fact stored is what made a front end show it twice.
 */
const STORING_TIMEOUT_MS = 30_000;

@Injectable()
export class ConversationService {
  constructor(private readonly bus: BusClient) {}

  send(userId: string, input: Input<typeof SendMessageBody>, correlationId: string) {
    const request = { userId, text: input.text, client: input.client ?? 'api', threadId: input.conversationId ?? '' };
    return this.call(() => this.bus.request(ConversationTopics.messageSend, request, { ...onBehalfOf(userId), correlationId, timeoutMs: STORING_TIMEOUT_MS }));
  }

  threads(userId: string, query: Input<typeof ThreadsQuery>) {
    return this.call(() =>
      this.bus.request(ConversationTopics.threadsList, { userId, limit: query.limit ?? 50, pageToken: query.pageToken ?? '' }, onBehalfOf(userId)),
    );
  }

  thread(userId: string, threadId: string) {
    return this.call(() => this.bus.request(ConversationTopics.threadGet, { userId, threadId: checkedThreadId(threadId) }, onBehalfOf(userId)));
  }

  messages(userId: string, threadId: string, query: Input<typeof MessagesQuery>) {
    const request = { userId, threadId: checkedThreadId(threadId), afterId: query.afterId ?? '', limit: query.limit ?? 100 };
    return this.call(() => this.bus.request(ConversationTopics.messagesList, request, onBehalfOf(userId)));
  }

  rename(userId: string, threadId: string, title: string) {
    return this.call(() => this.bus.request(ConversationTopics.threadRename, { userId, threadId: checkedThreadId(threadId), title }, onBehalfOf(userId)));
  }

  remove(userId: string, threadId: string) {
    return this.call(() => this.bus.request(ConversationTopics.threadDelete, { userId, threadId: checkedThreadId(threadId) }, onBehalfOf(userId)));
  }

  export(userId: string, threadId: string, format: 'markdown' | 'json') {
    const request = { userId, threadId: checkedThreadId(threadId), format: format === 'json' ? ExportFormat.JSON : ExportFormat.MARKDOWN };
    return this.call(() => this.bus.request(ConversationTopics.threadExport, request, onBehalfOf(userId)));
  }

  stop(userId: string, threadId: string, replyId: string | undefined) {
    return this.call(() =>
      this.bus.request(ConversationTopics.replyStop, { userId, threadId: checkedThreadId(threadId), replyId: replyId ?? '' }, onBehalfOf(userId)),
    );
  }

  regenerate(userId: string, threadId: string, correlationId: string) {
    return this.call(() =>
      this.bus.request(
        ConversationTopics.replyRegenerate,
        { userId, threadId: checkedThreadId(threadId) },
        { ...onBehalfOf(userId), correlationId, timeoutMs: STORING_TIMEOUT_MS },
      ),
    );
  }

  private call<T>(request: () => Promise<T>): Promise<T> {
    return callService('conversation', request);
  }
}
