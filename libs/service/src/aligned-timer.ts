// Periodic timers that fire on the wall clock's multiples of their period. Every wake-up of an idle process costs
// far more than the little work it does (a bare Node 1 Hz timer is 0.06 % of a core here, about 0.6 ms a wake), so
// the periodic work of one process, and of all aico processes, should share wake-ups: a heartbeat, the event-loop
// probe and the monitor's sampling all due at the same instant run in one turn of each loop, and eight services'
// beats reach their listeners together instead of spread over the interval (issue 18). The OS does the same for its
// own timers (timer slack, coalescing).

/** The shortest wait, as a share of the period: a tick that fires a hair before its boundary is not repeated. */
const MIN_WAIT_SHARE = 0.25;

/**
 * How long to wait from `wallMs` to the next multiple of `periodMs`: between a quarter and one and a quarter periods,
 * whatever the wall clock did since the last tick (a jump either way only moves which multiple is next).
 */
export function alignedWaitMs(periodMs: number, wallMs: number): number {
  const waitMs = periodMs - (((wallMs % periodMs) + periodMs) % periodMs);
  return waitMs < periodMs * MIN_WAIT_SHARE ? waitMs + periodMs : waitMs;
}

/** One timer the caller re-arms for its next tick, each time with a period it picks; never keeps the process alive. */
export class AlignedTimer {
  private timer: NodeJS.Timeout | undefined;
  private dueAt = 0;

  /** `tick` gets how late it fired, in milliseconds of the monotonic clock (never less than 0). */
  constructor(private readonly tick: (lateMs: number) => void) {}

  /** Arms the timer for the next multiple of `periodMs` on the wall clock (see alignedWaitMs), replacing an armed one. */
  arm(periodMs: number): void {
    clearTimeout(this.timer);
    const waitMs = alignedWaitMs(periodMs, Date.now());
    this.dueAt = performance.now() + waitMs;
    this.timer = setTimeout(() => this.tick(Math.max(0, performance.now() - this.dueAt)), waitMs);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** Runs `run` on every wall-clock multiple of `periodMs` until stopped. */
export function everyAligned(periodMs: number, run: () => void): { stop(): void } {
  const timer = new AlignedTimer(() => {
    timer.arm(periodMs);
    run();
  });
  timer.arm(periodMs);
  return timer;
}
