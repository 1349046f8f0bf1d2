// How long to wait before the next attempt of a failing run: exponential backoff, capped, with jitter.

export interface RetrySettings {
  /** Attempts in all, the first included (at least 1). */
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  /** Never wait longer than this. */
  readonly maxBackoffMs: number;
  /** 0..1: each wait is shortened by up to this fraction, at random, so many retrying tasks spread out. */
  readonly jitter: number;
}

export const MAX_ATTEMPTS = 100;

/** The wait after attempt `failedAttempt` (1-based) failed: initial · 2^(n-1), at most the cap, minus jitter. */
export function backoffDelay(retry: RetrySettings, failedAttempt: number, random: () => number): number {
  const exponential = retry.initialBackoffMs * 2 ** Math.max(0, failedAttempt - 1);
  const capped = Math.min(retry.maxBackoffMs, exponential);
  // "Full jitter" would let a wait shrink to 0 and hammer a service that is down; this keeps a floor.
  return Math.round(capped * (1 - retry.jitter * Math.min(1, Math.max(0, random()))));
}
