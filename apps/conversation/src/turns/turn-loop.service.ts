// The turn loop: a user's message into a thread (checked, stored, announced), the reply started in the background,
// stop and regenerate, and on start the replies a crash interrupted marked as such. One reply at a time per thread.
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { create } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { BusClient } from '@aico/bus';
import {
  ConversationTopics,
  GatewayTopics,
  MAX_CONVERSATION_MESSAGE_CHARS,
  MessageRole,
  MessageStatus,
  ModelsTopics,
  StopReason,
  ThreadMessageSchema,
  ThreadSchema,
  type RegenerateReplyRequest,
  type SendMessageRequest,
  type SendMessageResponse,
  type StopReplyRequest,
  type Thread,
  type ThreadMessage,
} from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import type { ConversationConfig } from '../conversation.config';
import { ConversationError, ConversationErrorCode } from '../conversation.error';
import { StorageThreadStore } from '../threads/storage-thread-store';
import { ThreadsService } from '../threads/threads.service';
import { InFlightReplies } from './in-flight-replies';
import { newMessageId } from './message-ids';
import { publishCompleted, ReplyWriter } from './reply-writer';
import { ReplyRun } from './reply-run';
import { threadTitle } from './thread-title';

/** How long a restart waits for the models service to cancel an interrupted generation (it may be down too). */
const CANCEL_TIMEOUT_MS = 5_000;

type SendAnswer = Omit<SendMessageResponse, '$typeName'>;

@Injectable()
export class TurnLoopService implements OnApplicationBootstrap {
  /** The reply being written per thread id. */
  private readonly running = new Map<string, ReplyRun>();
  /** Threads being deleted: no reply may start in one until the delete has ended. */
  private readonly deleting = new Set<string>();
  private readonly logger: Logger;

  constructor(
    private readonly bus: BusClient,
    private readonly store: StorageThreadStore,
    private readonly threads: ThreadsService,
    private readonly writer: ReplyWriter,
    private readonly inFlight: InFlightReplies,
    @Inject(SERVICE_CONFIG) private readonly config: ConversationConfig,
    @Inject(SERVICE_LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ context: 'TurnLoop' });
  }

  onApplicationBootstrap(): void {
    // Not awaited: storage answers once the bus is up (the client retries until then); requests are served meanwhile.
    void this.markInterrupted().catch((error: unknown) =>
      this.logger.error({ err: error }, 'Replies interrupted by the last stop could not be marked; the next start tries again'),
    );
  }

  /**
   * Runs `work` (a delete) on a thread no reply is being written in, and keeps new replies out of the thread until it
   * ends: a message that passed its ownership check just before would otherwise store its turn after the delete.
   */
  async whileNoReply<T>(threadId: string, work: () => Promise<T>): Promise<T> {
    if (this.running.has(threadId) || this.deleting.has(threadId)) {
      throw new ConversationError(
        ConversationErrorCode.ReplyInProgress,
        'A reply is being written in this conversation; stop it, then delete the conversation.',
        { threadId },
      );
    }
    this.deleting.add(threadId);
    try {
      return await work();
    } finally {
      this.deleting.delete(threadId);
    }
  }

  async send(request: SendMessageRequest, correlationId: string): Promise<SendAnswer> {
    const userId = requireUser(request.userId);
    const text = checkMessage(request.text);
    this.checkCapacity(userId);
    const now = timestampNow();
    const existing = request.threadId ? await this.store.getThread(userId, request.threadId) : undefined;
    const thread = existing ?? create(ThreadSchema, { id: newMessageId(), ownerId: userId, title: threadTitle(text), createdAt: now, updatedAt: now });
    const message = create(ThreadMessageSchema, {
      id: newMessageId(),
      threadId: thread.id,
      ownerId: userId,
      role: MessageRole.USER,
      text,
      status: MessageStatus.COMPLETE,
      createdAt: now,
      updatedAt: now,
    });
    const run = this.reserve(userId, thread.id, newMessageId());
    let stored: Thread;
    let placeholder: ThreadMessage;
    try {
      // Reserved now, the thread cannot be deleted any more; it may have been between the check above and here.
      if (existing) await this.store.getThread(userId, thread.id);
      else await this.store.createThread(thread);
      await this.store.putMessage(message);
      placeholder = await this.storePlaceholder(run);
      stored = await this.store.updateThread(userId, thread.id, (changed) => {
        changed.messageCount += 2;
        changed.updatedAt = now;
      });
    } catch (error) {
      await this.undo(run, [message.id]);
      throw error;
    }
    await this.bus
      .publish(
        ConversationTopics.messageReceived,
        { id: message.id, userId, text, client: request.client, receivedAt: now, conversationId: thread.id, replyId: run.replyId },
        { correlationId, attributes: { user: userId } },
      )
      .catch(() => undefined);
    this.threads.changed(userId, stored);
    this.start(run, placeholder, text);
    return { thread: stored, message, replyId: run.replyId };
  }

  async regenerate(request: RegenerateReplyRequest): Promise<SendAnswer> {
    const userId = requireUser(request.userId);
    const thread = await this.store.getThread(userId, request.threadId);
    this.checkCapacity(userId);
    const run = this.reserve(userId, thread.id, newMessageId());
    try {
      await this.store.getThread(userId, thread.id);
      const messages = await this.store.messages(thread.id);
      const lastUser = messages.findLastIndex((message) => message.role === MessageRole.USER);
      if (lastUser < 0)
        throw new ConversationError(ConversationErrorCode.NothingToRegenerate, 'This conversation has no message of yours to answer again; send one.', {
          threadId: thread.id,
        });
      const replaced = messages.slice(lastUser + 1);
      for (const old of replaced) await this.store.deleteMessage(old.id);
      const placeholder = await this.storePlaceholder(run);
      const stored = await this.store.updateThread(userId, thread.id, (changed) => {
        changed.messageCount = Math.max(0, changed.messageCount - replaced.length) + 1;
        changed.updatedAt = timestampNow();
      });
      this.threads.changed(userId, stored);
      this.start(run, placeholder, messages[lastUser]!.text);
      return { thread: stored, message: messages[lastUser]!, replyId: run.replyId };
    } catch (error) {
      await this.undo(run, []);
      throw error;
    }
  }

  /**
   * A send or regenerate that failed half-way: what it stored goes (best effort; storage may be what failed), so no
   * turn is left in a thread that was deleted meanwhile, and the thread is free again.
   */
  private async undo(run: ReplyRun, messageIds: readonly string[]): Promise<void> {
    for (const id of [...messageIds, run.replyId]) await this.store.deleteMessage(id).catch(() => undefined);
    await this.inFlight.remove(run.replyId).catch(() => undefined);
    if (this.running.get(run.threadId) === run) this.running.delete(run.threadId);
  }

  /** Stops the reply being written in the thread (and the avatar speaking it); the reply keeps its text so far. */
  async stop(request: StopReplyRequest): Promise<string> {
    const userId = requireUser(request.userId);
    await this.store.getThread(userId, request.threadId);
    const run = this.running.get(request.threadId);
    if (!run || (request.replyId && request.replyId !== run.replyId) || run.stopRequested) {
      throw new ConversationError(ConversationErrorCode.ReplyNotRunning, 'No reply is being written in this conversation (it has ended).', {
        threadId: request.threadId,
        ...(request.replyId ? { replyId: request.replyId } : {}),
      });
    }
    run.stop();
    await this.bus.publish(GatewayTopics.avatarStop, { userId, conversationId: run.threadId }, { attributes: { user: userId } }).catch(() => undefined);
    return run.replyId;
  }

  private checkCapacity(userId: string): void {
    if (this.running.size >= this.config.conversation.maxReplies) {
      throw new ConversationError(ConversationErrorCode.Busy, `${this.running.size} replies are being written already; try again in a moment.`);
    }
    // One person's many threads at once must not take every slot from the others.
    const own = [...this.running.values()].filter((run) => run.userId === userId).length;
    if (own >= this.config.conversation.maxRepliesPerUser) {
      throw new ConversationError(ConversationErrorCode.Busy, `${own} of your replies are being written already; wait for one, or stop it.`);
    }
  }

  /** Claims the thread for a reply; checked and set with no await between, so two messages cannot both start one. */
  private reserve(userId: string, threadId: string, replyId: string): ReplyRun {
    if (this.running.has(threadId))
      throw new ConversationError(ConversationErrorCode.ReplyInProgress, 'A reply is being written in this conversation; wait for it or stop it.', {
        threadId,
      });
    if (this.deleting.has(threadId)) throw new ConversationError(ConversationErrorCode.ThreadNotFound, 'This conversation is being deleted.', { threadId });
    this.checkCapacity(userId);
    const run = new ReplyRun(userId, threadId, replyId);
    this.running.set(threadId, run);
    return run;
  }

  /** The reply's record (streaming, no text yet), listed as in flight first so a crash from here on is found. */
  private async storePlaceholder(run: ReplyRun): Promise<ThreadMessage> {
    const now = timestampNow();
    const placeholder = create(ThreadMessageSchema, {
      id: run.replyId,
      threadId: run.threadId,
      ownerId: run.userId,
      role: MessageRole.ASSISTANT,
      status: MessageStatus.STREAMING,
      createdAt: now,
      updatedAt: now,
    });
    await this.inFlight.add(run).catch(() => {
      throw new ConversationError(
        ConversationErrorCode.StorageUnavailable,
        'Storage did not keep the conversation; try again in a moment ("aico status" shows the services).',
      );
    });
    await this.store.putMessage(placeholder);
    return placeholder;
  }

  private start(run: ReplyRun, placeholder: ThreadMessage, latestText: string): void {
    const ended = (): void => {
      if (this.running.get(run.threadId) === run) this.running.delete(run.threadId);
    };
    void this.writer.write(run, placeholder, latestText, ended).catch((error: unknown) => {
      ended();
      this.logger.error({ err: error, replyId: run.replyId }, 'A reply ended without its completion');
    });
  }

  /** Replies that were being written when this service last died: failed (interrupted), and their users told. */
  private async markInterrupted(): Promise<void> {
    for (const entry of await this.inFlight.all()) {
      // A reply started by this process after it began serving (the listing may already hold it): not interrupted.
      if ([...this.running.values()].some((run) => run.replyId === entry.replyId)) continue;
      // The models service ends a generation whose requester went silent, but only after its idle timeout: ending it
      // now frees the model (and a core) at once. The same identity asks, so it may.
      if (entry.generationId) {
        await this.bus
          .request(
            ModelsTopics.generateCancel,
            { generationId: entry.generationId, reason: 'the conversation service restarted' },
            { timeoutMs: CANCEL_TIMEOUT_MS },
          )
          .catch(() => undefined);
      }
      const reply = await this.store.getMessage(entry.replyId);
      if (reply?.status === MessageStatus.STREAMING) {
        const failed = create(ThreadMessageSchema, {
          ...reply,
          status: MessageStatus.FAILED,
          stopReason: StopReason.ERROR,
          errorCode: ConversationErrorCode.Interrupted,
          errorMessage: 'The conversation service stopped while it wrote this reply; regenerate it or send your message again.',
          updatedAt: timestampNow(),
        });
        await this.store.putMessage(failed);
        await publishCompleted(this.bus, failed, 0);
        this.logger.warn({ replyId: reply.id }, 'A reply interrupted by the last stop was marked failed');
      }
      await this.inFlight.remove(entry.replyId);
    }
  }
}

function requireUser(userId: string): string {
  if (!userId) throw new ConversationError(ConversationErrorCode.InvalidArgument, 'The request names no user.', { field: 'userId' });
  return userId;
}

function checkMessage(text: string): string {
  if (text.trim() === '') throw new ConversationError(ConversationErrorCode.EmptyMessage, 'The message is empty; write something to send.');
  if (text.length > MAX_CONVERSATION_MESSAGE_CHARS) {
    throw new ConversationError(
      ConversationErrorCode.MessageTooLong,
      `The message is ${text.length} characters; at most ${MAX_CONVERSATION_MESSAGE_CHARS} are accepted.`,
      { limit: String(MAX_CONVERSATION_MESSAGE_CHARS) },
    );
  }
  return text;
}
