// The background memory jobs of this process: one per thread, started a quiet while after the thread's last exchange
// (another exchange restarts the wait, so a quick back-and-forth is read once), run one at a time (they share the
// background model), and cancelled at once, waiting or running, when the user withdraws consent, forgets
// everything, or deletes the thread.

/** Calls `run` after `ms`; the answer cancels it. Injected so tests decide when the quiet time is over. */
export type Schedule = (run: () => void, ms: number) => () => void;

export const timerSchedule: Schedule = (run, ms) => {
  const timer = setTimeout(run, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

export interface MemoryJob {
  readonly userId: string;
  readonly threadId: string;
  /** Aborts when the job is cancelled. */
  readonly signal: AbortSignal;
}

interface Key {
  readonly userId: string;
  readonly threadId: string;
}

const keyOf = ({ userId, threadId }: Key): string => `${userId}\u0000${threadId}`;

export class MemoryJobQueue {
  private readonly waiting = new Map<string, { readonly key: Key; readonly cancel: () => void }>();
  private readonly queue: Key[] = [];
  private running: { readonly key: Key; readonly controller: AbortController; readonly done: Promise<void> } | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly work: (job: MemoryJob) => Promise<void>,
    private readonly options: { readonly debounceMs: number; readonly schedule?: Schedule; readonly onError: (error: unknown) => void },
  ) {}

  /** An exchange in this thread completed: (re)start its quiet time. */
  enqueue(userId: string, threadId: string): void {
    const key = { userId, threadId };
    const id = keyOf(key);
    this.waiting.get(id)?.cancel();
    const cancel = (this.options.schedule ?? timerSchedule)(() => {
      this.waiting.delete(id);
      if (!this.queue.some((queued) => keyOf(queued) === id)) this.queue.push(key);
      this.pump();
    }, this.options.debounceMs);
    this.waiting.set(id, { key, cancel });
  }

  /** Drops every job of this user (of this thread only, when given), waiting or running. */
  cancel(userId: string, threadId?: string): void {
    const matches = (key: Key): boolean => key.userId === userId && (threadId === undefined || key.threadId === threadId);
    for (const [id, entry] of this.waiting) {
      if (!matches(entry.key)) continue;
      entry.cancel();
      this.waiting.delete(id);
    }
    for (let i = this.queue.length - 1; i >= 0; i--) if (matches(this.queue[i]!)) this.queue.splice(i, 1);
    if (this.running && matches(this.running.key)) this.running.controller.abort(new Error('memory job cancelled'));
    this.settle();
  }

  /** Jobs waiting for their quiet time or their turn, and the one running. */
  get pending(): number {
    return this.waiting.size + this.queue.length + (this.running ? 1 : 0);
  }

  /** Resolves once no job waits or runs (tests; the service's shutdown). */
  whenIdle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops everything (the service is stopping). */
  stop(): Promise<void> {
    for (const entry of this.waiting.values()) entry.cancel();
    this.waiting.clear();
    this.queue.length = 0;
    this.running?.controller.abort(new Error('stopping'));
    const done = this.running?.done ?? Promise.resolve();
    this.settle();
    return done;
  }

  private pump(): void {
    if (this.running) return;
    const key = this.queue.shift();
    if (!key) {
      this.settle();
      return;
    }
    const controller = new AbortController();
    const done = this.work({ ...key, signal: controller.signal })
      .catch((error: unknown) => {
        if (!controller.signal.aborted) this.options.onError(error);
      })
      .finally(() => {
        this.running = undefined;
        this.pump();
      });
    this.running = { key, controller, done };
  }

  private settle(): void {
    if (this.pending > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
