// The replies being written, kept in storage so that a restart after a crash (kill -9 included) finds them without
// reading every thread: each is marked failed (interrupted) and its user told. One state entry per reply.
import { Injectable } from '@nestjs/common';
import { StorageClient } from '@aico/storage-client';

const NAMESPACE = 'conversation.replies-in-flight';

export interface InFlightReply {
  readonly replyId: string;
  readonly threadId: string;
  readonly userId: string;
  /** The models.text.generate request's correlation id: a restart cancels a generation still running for it. */
  readonly generationId: string;
}

@Injectable()
export class InFlightReplies {
  constructor(private readonly storage: StorageClient) {}

  async add(reply: InFlightReply): Promise<void> {
    await this.storage.putState(
      NAMESPACE,
      reply.replyId,
      Buffer.from(JSON.stringify({ threadId: reply.threadId, userId: reply.userId, generationId: reply.generationId })),
    );
  }

  async remove(replyId: string): Promise<void> {
    await this.storage.deleteState(NAMESPACE, replyId);
  }

  async all(): Promise<InFlightReply[]> {
    const replies: InFlightReply[] = [];
    for (let afterKey = ''; ;) {
      const page = await this.storage.listState({ namespace: NAMESPACE, afterKey, limit: 500 });
      for (const entry of page.entries) {
        const parsed = JSON.parse(Buffer.from(entry.value).toString('utf8')) as { threadId?: unknown; userId?: unknown; generationId?: unknown };
        if (typeof parsed.threadId === 'string' && typeof parsed.userId === 'string') {
          replies.push({
            replyId: entry.key,
            threadId: parsed.threadId,
            userId: parsed.userId,
            generationId: typeof parsed.generationId === 'string' ? parsed.generationId : '',
          });
        }
      }
      if (!page.nextKey) return replies;
      afterKey = page.nextKey;
    }
  }
}
