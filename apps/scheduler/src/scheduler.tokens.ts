/** Injection token of the scheduler's Clock (SystemClock; tests pass a ManualClock). */
export const SCHEDULER_CLOCK = Symbol('SCHEDULER_CLOCK');
/** Injection token of the random source behind backoff jitter (`() => number` in [0, 1)). */
export const SCHEDULER_RANDOM = Symbol('SCHEDULER_RANDOM');
