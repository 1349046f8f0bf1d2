// The conversation routes of the gateway (issue 16's route spec), with their answers typed as the protobuf JSON of
// proto/aico/conversation/v1 (the contracts' generated `*Json` types: camelCase, enums by full name, uint64 as
// strings, fields at their default left out). Kept apart from the generated OpenAPI types so they hold whatever that
// file holds.
import type { ListMessagesResponseJson, ListThreadsResponseJson, ThreadJson } from '@aico/contracts';
import type { Api } from './api-client';

export type { ListMessagesResponseJson, ListThreadsResponseJson, ThreadJson, ThreadMessageJson, ReplyDeltaJson, ReplyCompletedJson, ConversationMessageJson, ThreadChangedJson } from '@aico/contracts';

const BASE = '/api/v1/conversation';

/** The answer to `POST /conversation/messages` and `…/regenerate`: the ids the events carry. */
export interface SendAnswer {
  readonly threadId: string;
  readonly messageId: string;
  readonly replyId: string;
  readonly correlationId?: string;
  readonly thread?: ThreadJson;
}

export type ExportFormat = 'markdown' | 'json';

export class ConversationApi {
  constructor(private readonly api: Api) {}

  send(text: string, threadId: string | undefined): Promise<SendAnswer> {
    return this.api.json('POST', `${BASE}/messages`, { text, client: 'web', ...(threadId ? { conversationId: threadId } : {}) });
  }

  threads(limit: number, pageToken?: string): Promise<ListThreadsResponseJson> {
    return this.api.json('GET', `${BASE}/threads?${query({ limit: String(limit), pageToken })}`);
  }

  messages(threadId: string, limit: number, afterId?: string): Promise<ListMessagesResponseJson> {
    return this.api.json('GET', `${BASE}/threads/${encodeURIComponent(threadId)}/messages?${query({ limit: String(limit), afterId })}`);
  }

  rename(threadId: string, title: string): Promise<{ thread?: ThreadJson }> {
    return this.api.json('PATCH', `${BASE}/threads/${encodeURIComponent(threadId)}`, { title });
  }

  remove(threadId: string): Promise<{ deletedMessages?: number }> {
    return this.api.json('DELETE', `${BASE}/threads/${encodeURIComponent(threadId)}`);
  }

  stop(threadId: string, replyId?: string): Promise<{ replyId?: string }> {
    return this.api.json('POST', `${BASE}/threads/${encodeURIComponent(threadId)}/stop`, replyId ? { replyId } : {});
  }

  regenerate(threadId: string): Promise<SendAnswer> {
    return this.api.json('POST', `${BASE}/threads/${encodeURIComponent(threadId)}/regenerate`, {});
  }

  /** The exported file: its name (from Content-Disposition, else made up), type and content. */
  async export(threadId: string, format: ExportFormat): Promise<{ fileName: string; blob: Blob }> {
    const response = await this.api.raw('GET', `${BASE}/threads/${encodeURIComponent(threadId)}/export?format=${format}`);
    if (!response.ok) throw await this.api.errorOf(response);
    const disposition = response.headers.get('Content-Disposition') ?? '';
    // RFC 6266: the UTF-8 filename* wins over the plain (ASCII) filename.
    const utf8 = /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1];
    const plain = /filename="?([^";]+)"?/i.exec(disposition)?.[1];
    const fileName = utf8 ? safeDecode(utf8) : (plain ?? `conversation.${format === 'json' ? 'json' : 'md'}`);
    return { fileName, blob: await response.blob() };
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function query(values: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value) params.set(key, value);
  return params.toString();
}
