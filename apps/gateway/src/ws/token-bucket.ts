// A token bucket: up to `capacity` tokens, refilled continuously at `perMinute`; each admitted unit takes one. The
// clock is passed in, so tests decide how much time has passed instead of waiting for it.
export class TokenBucket {
  private tokens: number;
  private updatedAtMs: number;

  constructor(
    readonly capacity: number,
    readonly perMinute: number,
    nowMs: number,
  ) {
    this.tokens = capacity;
    this.updatedAtMs = nowMs;
  }

  /** Whether a token is there now (refilling first). */
  available(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= 1;
  }

  /** Takes a token if there is one; false when the bucket is empty. */
  take(nowMs: number): boolean {
    if (!this.available(nowMs)) return false;
    this.tokens -= 1;
    return true;
  }

  /** Full again: nothing taken that has not been given back by time. */
  isFull(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= this.capacity;
  }

  private refill(nowMs: number): void {
    // A clock that went back refills nothing (and does not drain either).
    const elapsed = Math.max(0, nowMs - this.updatedAtMs);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.perMinute) / 60_000);
    this.updatedAtMs = Math.max(this.updatedAtMs, nowMs);
  }
}
