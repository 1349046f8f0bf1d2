// What the rest of the conversation service needs of the threads kept in storage. The turn loop implements it
// (threads/); memory/ uses it to read a thread's messages and to keep the thread's rolling summary.
import type { Thread, ThreadMessage } from '@aico/contracts';

export interface ThreadStorePort {
  /** The user's thread; ConversationError THREAD_NOT_FOUND when there is none of this id that is theirs. */
  getThread(userId: string, threadId: string): Promise<Thread>;
  /**
   * Changes a thread record. Changes to one thread are applied one after another in this process (the turn loop
   * counts messages while the memory job writes the summary), so neither overwrites the other.
   */
  updateThread(userId: string, threadId: string, change: (thread: Thread) => void): Promise<Thread>;
  /** Every thread of a user (any order). */
  allThreads(userId: string): Promise<Thread[]>;
  /** A thread's messages oldest first (ids sort by time). */
  messages(threadId: string, afterId?: string, limit?: number): Promise<ThreadMessage[]>;
}

export const THREAD_STORE = Symbol('THREAD_STORE');
