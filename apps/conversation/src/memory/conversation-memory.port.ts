// What the turn loop asks of memory. Without `conversation.memory` consent memory gives nothing and keeps nothing:
// nothing of one thread reaches another, nothing beyond the thread itself is stored.
export interface ConversationMemoryPort {
  /**
   * What the prompt of a reply in this thread may carry beyond the thread itself: facts about the user and
   * summaries of their other recent threads, most relevant to the latest message first. [] without consent.
   */
  promptContext(userId: string, threadId: string, latestText: string): Promise<readonly string[]>;
  /** An exchange in this thread completed: queue the background update (rolling summary, facts). No-op without consent. */
  exchangeCompleted(userId: string, threadId: string): void;
  /** A thread was deleted: its summary went with it; facts learnt from it are deleted too. */
  threadDeleted(userId: string, threadId: string): Promise<void>;
}

export const CONVERSATION_MEMORY = Symbol('CONVERSATION_MEMORY');
