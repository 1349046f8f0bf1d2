// The user's threads: listed most recently updated first with an opaque page token, read, renamed, deleted (messages,
// record, summary and facts learnt from it) and exported. Every change tells the user's front ends.
import { Inject, Injectable } from '@nestjs/common';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs, timestampMs, timestampNow } from '@bufbuild/protobuf/wkt';
import { BusClient } from '@aico/bus';
import {
  ConversationTopics,
  ExportFormat,
  ListThreadsResponseSchema,
  type ExportThreadResponse,
  type ListMessagesResponse,
  type ListThreadsResponse,
  type Thread,
} from '@aico/contracts';
import { CONVERSATION_MEMORY, type ConversationMemoryPort } from '../memory/conversation-memory.port';
import { ConversationError, ConversationErrorCode } from '../conversation.error';
import { PersonaService } from '../persona/persona.service';
import { StorageThreadStore } from './storage-thread-store';
import { exportThread } from './thread-export';

export const MAX_TITLE_CHARS = 200;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;

@Injectable()
export class ThreadsService {
  constructor(
    private readonly store: StorageThreadStore,
    private readonly bus: BusClient,
    private readonly persona: PersonaService,
    @Inject(CONVERSATION_MEMORY) private readonly memory: ConversationMemoryPort,
  ) {}

  async list(userId: string, limit: number, pageToken: string): Promise<ListThreadsResponse> {
    const after = pageToken ? decodePageToken(pageToken) : undefined;
    const size = Math.min(limit || DEFAULT_PAGE, MAX_PAGE);
    const sorted = (await this.store.allThreads(userId)).sort(newestFirst);
    const rest = after ? sorted.filter((thread) => newestFirst(thread, after) > 0) : sorted;
    const page = rest.slice(0, size);
    const last = page.at(-1);
    return create(ListThreadsResponseSchema, { threads: page, nextPageToken: rest.length > size && last ? encodePageToken(last) : '' });
  }

  get(userId: string, threadId: string): Promise<Thread> {
    return this.store.getThread(userId, threadId);
  }

  async messages(userId: string, threadId: string, afterId: string, limit: number): Promise<Omit<ListMessagesResponse, '$typeName'>> {
    await this.store.getThread(userId, threadId);
    const page = await this.store.messagePage(threadId, afterId, Math.min(limit || DEFAULT_PAGE, MAX_PAGE));
    return { messages: page.messages, nextId: page.nextId };
  }

  async rename(userId: string, threadId: string, title: string): Promise<Thread> {
    const trimmed = title.trim();
    if (!trimmed || trimmed.length > MAX_TITLE_CHARS)
      throw new ConversationError(ConversationErrorCode.InvalidArgument, `A title must be 1 to ${MAX_TITLE_CHARS} characters.`, { field: 'title' });
    const thread = await this.store.updateThread(userId, threadId, (changed) => {
      changed.title = trimmed;
      changed.updatedAt = timestampNow();
    });
    this.changed(userId, thread);
    return thread;
  }

  /**
   * `whileNoReply` refuses while a reply is being written in the thread (stop it first) and keeps new replies out
   * until the delete ends. The facts learnt from the thread go first: once the thread is gone a retry would be
   * THREAD_NOT_FOUND, and facts left behind would stay for good.
   */
  async delete(userId: string, threadId: string, whileNoReply: <T>(threadId: string, work: () => Promise<T>) => Promise<T>): Promise<number> {
    const thread = await this.store.getThread(userId, threadId);
    const deleted = await whileNoReply(threadId, async () => {
      await this.memory.threadDeleted(userId, threadId);
      return this.store.deleteThread(userId, threadId);
    });
    this.changed(userId, thread, true);
    return deleted;
  }

  async export(userId: string, threadId: string, format: ExportFormat): Promise<ExportThreadResponse> {
    const thread = await this.store.getThread(userId, threadId);
    const messages = await this.store.messages(threadId);
    return exportThread(thread, messages, format, (await this.persona.current()).name);
  }

  /** Tells the owner's front ends (to that user only). */
  changed(userId: string, thread: Thread, deleted = false): void {
    void this.bus.publish(ConversationTopics.threadChanged, { userId, thread, deleted }, { attributes: { user: userId } }).catch(() => undefined);
  }
}

/** Most recently updated first; the id breaks ties (ids sort by creation time). */
function newestFirst(a: Pick<Thread, 'updatedAt' | 'id'>, b: Pick<Thread, 'updatedAt' | 'id'>): number {
  const byTime = stamp(b) - stamp(a);
  return byTime !== 0 ? byTime : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

const stamp = (thread: Pick<Thread, 'updatedAt'>): number => (thread.updatedAt ? timestampMs(thread.updatedAt) : 0);

/** Where a page ended: the last thread's update time and id, opaque to the caller. */
function encodePageToken(thread: Thread): string {
  return Buffer.from(JSON.stringify({ t: stamp(thread), i: thread.id })).toString('base64url');
}

function decodePageToken(token: string): Pick<Thread, 'updatedAt' | 'id'> {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { t?: unknown; i?: unknown };
    if (Number.isSafeInteger(parsed.t) && (parsed.t as number) >= 0 && typeof parsed.i === 'string' && parsed.i.length <= 128)
      return { id: parsed.i, updatedAt: timestampFromMs(parsed.t as number) };
  } catch {
    // Falls through to the refusal below.
  }
  throw new ConversationError(ConversationErrorCode.InvalidArgument, 'The page token is not one this service gave; start from the first page.', {
    field: 'pageToken',
  });
}
