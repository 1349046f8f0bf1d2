// The conversation routes of the gateway (issue 16's route spec), called through openapi-fetch with the generated
// OpenAPI types, so a request or answer that no longer matches the gateway does not compile. The answers are also
// held to the contracts' protobuf JSON types (`*Json`: camelCase, enums by full name, uint64 as strings, fields at
// their default left out), which the pages use.
import type { ListMessagesResponseJson, ListThreadsResponseJson, ThreadJson } from '@aico/contracts';
import type { Api } from './api-client';
import type { RouteAnswer } from './route-types';

export type {
  ListMessagesResponseJson,
  ListThreadsResponseJson,
  ThreadJson,
  ThreadMessageJson,
  ReplyDeltaJson,
  ReplyCompletedJson,
  ConversationMessageJson,
  ThreadChangedJson,
} from '@aico/contracts';

/** The answer to `POST /conversation/messages` and `…/regenerate`: the ids the events carry. */
export type SendAnswer = RouteAnswer<'/api/v1/conversation/messages', 'post'>;

export type ExportFormat = 'markdown' | 'json';

export class ConversationApi {
  constructor(private readonly api: Api) {}

  send(text: string, threadId: string | undefined): Promise<SendAnswer> {
    return this.api.call(
      this.api.client.POST('/api/v1/conversation/messages', { body: { text, client: 'web', ...(threadId ? { conversationId: threadId } : {}) } }),
    );
  }

  threads(limit: number, pageToken?: string): Promise<ListThreadsResponseJson> {
    return this.api.call(this.api.client.GET('/api/v1/conversation/threads', { params: { query: { limit, ...(pageToken ? { pageToken } : {}) } } }));
  }

  messages(threadId: string, limit: number, afterId?: string): Promise<ListMessagesResponseJson> {
    return this.api.call(
      this.api.client.GET('/api/v1/conversation/threads/{id}/messages', {
        params: { path: { id: threadId }, query: { limit, ...(afterId ? { afterId } : {}) } },
      }),
    );
  }

  rename(threadId: string, title: string): Promise<{ thread?: ThreadJson }> {
    return this.api.call(this.api.client.PATCH('/api/v1/conversation/threads/{id}', { params: { path: { id: threadId } }, body: { title } }));
  }

  remove(threadId: string): Promise<RouteAnswer<'/api/v1/conversation/threads/{id}', 'delete'>> {
    return this.api.call(this.api.client.DELETE('/api/v1/conversation/threads/{id}', { params: { path: { id: threadId } } }));
  }

  stop(threadId: string, replyId?: string): Promise<RouteAnswer<'/api/v1/conversation/threads/{id}/stop', 'post'>> {
    return this.api.call(
      this.api.client.POST('/api/v1/conversation/threads/{id}/stop', { params: { path: { id: threadId } }, body: replyId ? { replyId } : {} }),
    );
  }

  regenerate(threadId: string): Promise<RouteAnswer<'/api/v1/conversation/threads/{id}/regenerate', 'post'>> {
    return this.api.call(this.api.client.POST('/api/v1/conversation/threads/{id}/regenerate', { params: { path: { id: threadId } } }));
  }

  /** The exported file: its name (from Content-Disposition, else made up), type and content. */
  async export(threadId: string, format: ExportFormat): Promise<{ fileName: string; blob: Blob }> {
    const answer = await this.api.client.GET('/api/v1/conversation/threads/{id}/export', {
      params: { path: { id: threadId }, query: { format } },
      parseAs: 'blob',
    });
    const blob = await this.api.call(Promise.resolve(answer));
    const disposition = answer.response.headers.get('Content-Disposition') ?? '';
    // RFC 6266: the UTF-8 filename* wins over the plain (ASCII) filename.
    const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1];
    const plain = /filename="?([^";]+)"?/i.exec(disposition)?.[1];
    const fileName = utf8 ? safeDecode(utf8) : (plain ?? `conversation.${format === 'json' ? 'json' : 'md'}`);
    return { fileName, blob };
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
