// Threads and their messages as storage records (encrypted at rest by storage): a thread's parent is its owner, a
// message's parent is its thread, and message ids are UUIDv7, so storage's id order is the order they were written.
// Changes to one thread record are applied one after another in this process (see ThreadStorePort).
import { Injectable } from '@nestjs/common';
import { create } from '@bufbuild/protobuf';
import { RecordKind, ThreadMessageSchema, ThreadSchema, type Thread, type ThreadMessage } from '@aico/contracts';
import { StorageClient } from '@aico/storage-client';
import { ConversationError, ConversationErrorCode } from '../conversation.error';
import { storageFailure } from './storage-failure';
import type { ThreadStorePort } from './thread-store.port';
import { KeyedMutex } from '@aico/concurrency';

@Injectable()
export class StorageThreadStore implements ThreadStorePort {
  /** One change of a thread at a time, in arrival order. */
  private readonly lanes = new KeyedMutex();

  constructor(private readonly storage: StorageClient) {}

  async getThread(userId: string, threadId: string): Promise<Thread> {
    const thread = threadId ? await this.findThread(threadId) : undefined;
    // Another user's thread answers like a missing one: whether it exists is not theirs to know.
    if (!thread || thread.ownerId !== userId)
      throw new ConversationError(ConversationErrorCode.ThreadNotFound, 'There is no such conversation; list your conversations to find its id.', { threadId });
    return thread;
  }

  updateThread(userId: string, threadId: string, change: (thread: Thread) => void): Promise<Thread> {
    return this.lanes.run(threadId, async () => {
      const thread = await this.getThread(userId, threadId);
      change(thread);
      await this.putThread(thread);
      return thread;
    });
  }

  async allThreads(userId: string): Promise<Thread[]> {
    return this.guard(async () => {
      const threads: Thread[] = [];
      for await (const record of this.storage.allRecords(RecordKind.THREAD, userId)) if (record.kind.case === 'thread') threads.push(record.kind.value);
      return threads;
    });
  }

  async messages(threadId: string, afterId = '', limit?: number): Promise<ThreadMessage[]> {
    return (await this.messagePage(threadId, afterId, limit ?? 0)).messages;
  }

  /** One page of a thread's messages, oldest first; nextId is empty on the last page. */
  async messagePage(threadId: string, afterId: string, limit: number): Promise<{ messages: ThreadMessage[]; nextId: string }> {
    return this.guard(async () => {
      if (limit > 0) {
        const page = await this.storage.listRecords({ kind: RecordKind.THREAD_MESSAGE, parent: threadId, afterId, limit });
        return { messages: page.records.flatMap((record) => (record.kind.case === 'threadMessage' ? [record.kind.value] : [])), nextId: page.nextId };
      }
      const messages: ThreadMessage[] = [];
      for await (const record of this.storage.allRecords(RecordKind.THREAD_MESSAGE, threadId))
        if (record.kind.case === 'threadMessage' && record.kind.value.id > afterId) messages.push(record.kind.value);
      return { messages, nextId: '' };
    });
  }

  /** A new thread (not through the lane: nobody else knows its id yet). */
  async createThread(thread: Thread): Promise<void> {
    await this.putThread(thread);
  }

  async getMessage(messageId: string): Promise<ThreadMessage | undefined> {
    return this.guard(async () => {
      const found = await this.storage.getRecord(RecordKind.THREAD_MESSAGE, messageId);
      return found.found && found.record?.kind.case === 'threadMessage' ? found.record.kind.value : undefined;
    });
  }

  async putMessage(message: ThreadMessage): Promise<void> {
    await this.guard(() => this.storage.putRecord({ kind: { case: 'threadMessage', value: create(ThreadMessageSchema, message) } }));
  }

  async deleteMessage(messageId: string): Promise<void> {
    await this.guard(() => this.storage.deleteRecord(RecordKind.THREAD_MESSAGE, messageId));
  }

  /** The thread's messages, then the thread record; answers how many messages went. */
  deleteThread(userId: string, threadId: string): Promise<number> {
    return this.lanes.run(threadId, async () => {
      await this.getThread(userId, threadId);
      const { count } = await this.guard(() => this.storage.deleteRecordsOf(RecordKind.THREAD_MESSAGE, threadId));
      await this.guard(() => this.storage.deleteRecord(RecordKind.THREAD, threadId));
      return count;
    });
  }

  private async findThread(threadId: string): Promise<Thread | undefined> {
    return this.guard(async () => {
      const found = await this.storage.getRecord(RecordKind.THREAD, threadId);
      return found.found && found.record?.kind.case === 'thread' ? found.record.kind.value : undefined;
    });
  }

  private async putThread(thread: Thread): Promise<void> {
    await this.guard(() => this.storage.putRecord({ kind: { case: 'thread', value: create(ThreadSchema, thread) } }));
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw storageFailure(error);
    }
  }
}
