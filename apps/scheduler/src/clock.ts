// The scheduler's notion of time: what time it is and "call me in N ms". Everything that waits (the next
// occurrence, a backoff, an attempt's deadline) goes through a Clock, so tests drive time by hand (ManualClock)
// instead of waiting for it.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `callback` once, `delayMs` from now (at once for a delay of 0 or less). */
  setTimer(delayMs: number, callback: () => void): Timer;
}

/** setTimeout's limit (2^31 - 1 ms, about 24.8 days); longer waits are chained. */
const MAX_TIMEOUT_MS = 2_147_483_647;

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    const dueAt = Date.now() + Math.max(0, delayMs);
    let handle: NodeJS.Timeout | undefined;
    const arm = (): void => {
      const remaining = dueAt - Date.now();
      // A monthly cron task waits longer than setTimeout can: wait in steps, re-reading the wall clock each time.
      handle = setTimeout(remaining > MAX_TIMEOUT_MS ? arm : callback, Math.min(Math.max(0, remaining), MAX_TIMEOUT_MS));
      // Timers never keep a stopping process alive; the bus connection does that while the service runs.
      handle.unref();
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  }
}

/** Resolves after `delayMs` on `clock`, or rejects with the signal's reason when it aborts first. */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      timer.cancel();
      reject(signal!.reason);
    };
    const timer = clock.setTimer(delayMs, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
