// What the conversation screen shows, kept apart from React so its rules are unit-tested: the user's own messages
// (shown once, whichever of the POST's answer and the `conversation.message.received` event comes first — the bug a
// new user met was the same message twice, one copy stuck at "sending…"), and the replies as they stream (pieces
// put in order by ReplyReorderBuffer, then replaced by the completed reply's stored text and status).
import type { ConversationMessageJson, ReplyCompletedJson, ReplyDeltaJson, ThreadMessageJson } from '@aico/contracts';
import { ReplyReorderBuffer, type ReplyProgress } from './reply-reorder-buffer';

export type ShownStatus = 'sending' | 'not-sent' | 'sent' | 'streaming' | 'complete' | 'stopped' | 'failed';

export interface ShownMessage {
  /** Stable for React: a local key for a message being sent, else its id. */
  readonly key: string;
  /** The stored message's id (a reply's is its replyId); absent while sending. */
  readonly id: string | undefined;
  /** Undefined while the first message of a new thread is on its way. */
  readonly threadId: string | undefined;
  readonly role: 'user' | 'assistant';
  readonly text: string;
  readonly status: ShownStatus;
  /** A reply's waiting state in words, before its first text. */
  readonly waiting?: string | undefined;
  readonly error?: string | undefined;
  /** A failed reply's code (CONVERSATION_NO_MODEL, …). */
  readonly errorCode?: string | undefined;
  readonly model?: string | undefined;
}

type Listener = () => void;

export class ConversationTimeline {
  private messages: readonly ShownMessage[] = [];
  private readonly buffers = new Map<string, ReplyReorderBuffer>();
  /** Replies that ended: late deltas of them change nothing. */
  private readonly ended = new Set<string>();
  private readonly listeners = new Set<Listener>();
  private nextLocal = 1;

  constructor(private readonly describeWaiting: (progress: ReplyProgress) => string | undefined = () => undefined) {}

  get current(): readonly ShownMessage[] {
    return this.messages;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The messages of one thread, in order (the pending first message of a new thread counts for `undefined`). */
  of(threadId: string | undefined): readonly ShownMessage[] {
    return this.messages.filter((message) => message.threadId === threadId);
  }

  /** The user pressed Send: the message shows at once as "sending…"; answers its local key. */
  sending(text: string, threadId: string | undefined): string {
    const key = `local-${this.nextLocal++}`;
    this.set([...this.messages, { key, id: undefined, threadId, role: 'user', text, status: 'sending' }]);
    return key;
  }

  /** The POST failed: the message stays, marked not sent, with why. */
  notSent(key: string, error: string): void {
    this.set(this.messages.map((message) => (message.key === key ? { ...message, status: 'not-sent', error } : message)));
  }

  /**
   * The POST answered: the message is stored as `messageId`, its reply will stream as `replyId`. When the event came
   * first, the message is already shown under its id: the local copy goes.
   */
  sent(key: string, answer: { readonly messageId: string; readonly replyId: string; readonly threadId: string }): void {
    const shown = this.messages.find((message) => message.id === answer.messageId);
    let next: ShownMessage[];
    if (shown && shown.key !== key) next = this.messages.filter((message) => message.key !== key);
    else
      next = this.messages.map((message) =>
        message.key === key ? { ...message, id: answer.messageId, threadId: answer.threadId, status: 'sent' as const } : message,
      );
    this.set(this.withReply(next, answer.replyId, answer.threadId));
  }

  /**
   * `conversation.message.received`: the user's message is stored (sent from here or from another front end). It
   * takes the place of the local copy still sending the same text in that thread (or a new thread), so it shows once.
   */
  received(event: ConversationMessageJson): void {
    const id = event.id;
    if (!id) return;
    const threadId = event.conversationId || undefined;
    let next: ShownMessage[];
    if (this.messages.some((message) => message.id === id)) {
      next = this.messages.map((message) => (message.id === id && message.status === 'sending' ? { ...message, status: 'sent' as const } : message));
    } else {
      // A copy marked not sent may have been stored all the same (its POST timed out): the event says it was.
      const local = this.messages.find(
        (message) =>
          message.id === undefined &&
          (message.status === 'sending' || message.status === 'not-sent') &&
          message.text === event.text &&
          (message.threadId === threadId || message.threadId === undefined),
      );
      next = local
        ? this.messages.map((message) => (message === local ? { ...message, id, threadId, status: 'sent' as const, error: undefined } : message))
        : [...this.messages, { key: id, id, threadId, role: 'user', text: event.text ?? '', status: 'sent' }];
    }
    this.set(event.replyId && threadId ? this.withReply(next, event.replyId, threadId) : next);
  }

  /** A piece of a reply: the reply's text so far, in sequence order. */
  delta(event: ReplyDeltaJson): void {
    const replyId = event.replyId;
    if (!replyId || this.ended.has(replyId) || event.sequence === undefined) return;
    let buffer = this.buffers.get(replyId);
    if (!buffer) {
      buffer = new ReplyReorderBuffer();
      this.buffers.set(replyId, buffer);
    }
    const progress = buffer.push({
      sequence: event.sequence,
      ...(event.text !== undefined ? { text: event.text } : {}),
      ...(event.waiting ? { waiting: event.waiting } : {}),
    });
    const next = this.withReply(this.messages, replyId, event.threadId ?? '');
    this.set(
      next.map((message) =>
        message.id === replyId ? { ...message, text: progress.text, waiting: progress.text ? undefined : this.describeWaiting(progress) } : message,
      ),
    );
  }

  /** The reply ended: its stored text and status replace what streamed. */
  completed(event: ReplyCompletedJson): void {
    const replyId = event.replyId;
    if (!replyId) return;
    const next = this.withReply(this.messages, replyId, event.threadId ?? '');
    this.ended.add(replyId);
    this.buffers.delete(replyId);
    const status: ShownStatus = event.status === 'MESSAGE_STATUS_STOPPED' ? 'stopped' : event.status === 'MESSAGE_STATUS_FAILED' ? 'failed' : 'complete';
    this.set(
      next.map((message) =>
        message.id === replyId
          ? {
              ...message,
              text: event.text ?? message.text,
              status,
              waiting: undefined,
              model: event.model || message.model,
              error: status === 'failed' ? event.errorMessage || event.errorCode || 'The reply failed.' : undefined,
              errorCode: event.errorCode || undefined,
            }
          : message,
      ),
    );
  }

  /**
   * A thread's stored messages (a page of history): they take their place by id; what is shown but not stored yet
   * (a message sending, a reply streaming) stays after them.
   */
  loaded(threadId: string, stored: readonly ThreadMessageJson[]): void {
    const storedIds = new Set(stored.map((message) => message.id));
    const live = new Map(
      this.messages.filter((message) => message.threadId === threadId && message.id && storedIds.has(message.id)).map((message) => [message.id!, message]),
    );
    const fromStore = stored
      .filter((message) => message.id)
      .map((message): ShownMessage => {
        const shown = fromStored(threadId, message);
        const now = live.get(shown.id!);
        // A reply still streaming here knows more than the stored copy taken a moment ago.
        if (now && (now.status === 'streaming' || shown.status === 'streaming')) return now;
        return shown;
      });
    const others = this.messages.filter((message) => message.threadId !== threadId);
    // Not stored yet: a message on its way (or its event came after the page was read), a reply being written. A reply
    // that ended and is not stored any more was replaced (regenerated) or deleted.
    const pending = this.messages.filter(
      (message) => message.threadId === threadId && !(message.id && storedIds.has(message.id)) && (message.role === 'user' || message.status === 'streaming'),
    );
    for (const message of fromStore) if (message.role === 'assistant' && message.status !== 'streaming') this.ended.add(message.id!);
    this.set([...others, ...fromStore, ...pending]);
  }

  /**
   * Regenerate answered: the replies after the thread's last message of the user are replaced by the new one, which
   * streams as `replyId` (its first pieces may have come before this answer: it stays, the old reply goes).
   */
  regenerating(threadId: string, replyId: string): void {
    const lastUser = this.messages.findLastIndex((message) => message.threadId === threadId && message.role === 'user');
    const rest = this.messages.filter(
      (message, index) => !(index > lastUser && message.threadId === threadId && message.role === 'assistant' && message.id !== replyId),
    );
    this.set(this.withReply(rest, replyId, threadId));
  }

  /** Signed out: everything goes. */
  reset(): void {
    this.buffers.clear();
    this.ended.clear();
    this.set([]);
  }

  /** A thread was deleted: its messages go. */
  forget(threadId: string): void {
    this.set(this.messages.filter((message) => message.threadId !== threadId));
  }

  /** The reply being written in a thread, if any. */
  streaming(threadId: string | undefined): ShownMessage | undefined {
    return this.messages.find((message) => message.threadId === threadId && message.role === 'assistant' && message.status === 'streaming');
  }

  /** Ensures the reply's bubble exists (it streams from its first delta or from the POST's answer, whichever is first). */
  private withReply(messages: readonly ShownMessage[], replyId: string, threadId: string): ShownMessage[] {
    if (messages.some((message) => message.id === replyId) || this.ended.has(replyId)) return [...messages];
    return [
      ...messages,
      { key: replyId, id: replyId, threadId: threadId || undefined, role: 'assistant', text: '', status: 'streaming', waiting: 'starting…' },
    ];
  }

  private set(messages: readonly ShownMessage[]): void {
    this.messages = messages;
    for (const listener of [...this.listeners]) listener();
  }
}

function fromStored(threadId: string, message: ThreadMessageJson): ShownMessage {
  const role = message.role === 'MESSAGE_ROLE_ASSISTANT' ? 'assistant' : 'user';
  const status: ShownStatus =
    message.status === 'MESSAGE_STATUS_STREAMING'
      ? 'streaming'
      : message.status === 'MESSAGE_STATUS_STOPPED'
        ? 'stopped'
        : message.status === 'MESSAGE_STATUS_FAILED'
          ? 'failed'
          : role === 'user'
            ? 'sent'
            : 'complete';
  return {
    key: message.id!,
    id: message.id,
    threadId,
    role,
    text: message.text ?? '',
    status,
    model: message.model || undefined,
    error: status === 'failed' ? message.errorMessage || message.errorCode || 'The reply failed.' : undefined,
    errorCode: message.errorCode || undefined,
  };
}
