// A Clock that moves only when a test moves it. Tests wait until the scheduler has armed the timer they expect
// (waitForTimer: a signal, not a sleep), check its delay, and advance time to fire it. Real I/O (the bus) still
// runs on real time, so after advancing a test waits for the envelope the fired timer causes.
import type { Clock, Timer } from './clock';
import { SIGNAL_TIMEOUT_MS } from './signal-timeout.test-helpers';

export interface PendingTimer {
  /** When it fires, in clock milliseconds. */
  readonly dueAt: number;
  /** The delay it was armed with. */
  readonly delayMs: number;
}

interface Entry extends PendingTimer {
  readonly sequence: number;
  readonly callback: () => void;
}

export class ManualClock implements Clock {
  private current: number;
  private sequence = 0;
  private timers: Entry[] = [];
  private watchers: { predicate: (timer: PendingTimer) => boolean; resolve: (timer: PendingTimer) => void }[] = [];

  constructor(start: Date | number) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    const entry: Entry = { dueAt: this.current + Math.max(0, delayMs), delayMs, sequence: this.sequence++, callback };
    this.timers.push(entry);
    const armed = { dueAt: entry.dueAt, delayMs };
    this.watchers = this.watchers.filter((watcher) => (watcher.predicate(armed) ? (watcher.resolve(armed), false) : true));
    return { cancel: () => void (this.timers = this.timers.filter((timer) => timer !== entry)) };
  }

  /** The armed timers, soonest first. */
  pending(): PendingTimer[] {
    return [...this.timers].sort(byDue).map(({ dueAt, delayMs }) => ({ dueAt, delayMs }));
  }

  /** Resolves with the first armed timer (already armed or armed later) that matches; rejects after `timeoutMs` of real time. */
  waitForTimer(predicate: (timer: PendingTimer) => boolean, timeoutMs = SIGNAL_TIMEOUT_MS, what = 'a matching timer'): Promise<PendingTimer> {
    const armed = this.timers.find(predicate);
    if (armed) return Promise.resolve({ dueAt: armed.dueAt, delayMs: armed.delayMs });
    return new Promise((resolve, reject) => {
      const deadline = setTimeout(() => {
        reject(
          new Error(
            `No ${what} was armed within ${timeoutMs} ms; armed: ${JSON.stringify(this.pending().map((t) => ({ inMs: t.dueAt - this.current, delayMs: t.delayMs })))}`,
          ),
        );
      }, timeoutMs);
      this.watchers.push({
        predicate,
        resolve: (timer) => {
          clearTimeout(deadline);
          resolve(timer);
        },
      });
    });
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order, each at its own time. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      const next = [...this.timers].sort(byDue)[0];
      if (!next || next.dueAt > target) break;
      this.timers = this.timers.filter((timer) => timer !== next);
      this.current = Math.max(this.current, next.dueAt);
      next.callback();
      // Let the promise continuations the callback started run before the next timer fires.
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.current = target;
  }

  /** Moves time to `at` (never backwards). */
  advanceTo(at: number | Date): Promise<void> {
    const target = typeof at === 'number' ? at : at.getTime();
    return this.advance(Math.max(0, target - this.current));
  }
}

const byDue = (a: Entry, b: Entry): number => a.dueAt - b.dueAt || a.sequence - b.sequence;
