// Login attempts per account per window, whatever address they come from: the per-client limit (rate-limit.ts) does
// not stop a guesser who spreads attempts over many addresses. Counted in memory (the gateway is one process), in
// fixed windows on an injected clock; windows that have ended are dropped, so the table holds only recent accounts.
import { ApiError } from '../http/api-error';
import type { Clock } from './clock';

export interface AccountRateLimitOptions {
  readonly limit: number;
  readonly windowMs: number;
  /** Accounts tracked at once before ended windows are swept (a flood of made-up names cannot grow the table). */
  readonly maxTracked?: number;
}

export class AccountRateLimiter {
  private readonly windows = new Map<string, { startedAt: number; count: number }>();
  private readonly maxTracked: number;

  constructor(
    private readonly options: AccountRateLimitOptions,
    private readonly clock: Clock,
  ) {
    this.maxTracked = options.maxTracked ?? 100_000;
  }

  /** Counts one attempt; throws 429 RATE_LIMITED (with Retry-After) when the account used up its window. */
  take(accountId: string): void {
    const now = this.clock.now();
    let window = this.windows.get(accountId);
    if (!window || now - window.startedAt >= this.options.windowMs) {
      if (!window && this.windows.size >= this.maxTracked) this.sweep(now);
      window = { startedAt: now, count: 0 };
      this.windows.set(accountId, window);
    }
    if (window.count >= this.options.limit) {
      const retryAfterSeconds = Math.max(1, Math.ceil((window.startedAt + this.options.windowMs - now) / 1000));
      throw new ApiError(429, 'RATE_LIMITED', `Too many login attempts for this account; try again in ${retryAfterSeconds} s.`, {
        retryAfterSeconds,
        scope: 'account',
      });
    }
    window.count++;
  }

  get tracked(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    for (const [id, window] of this.windows) if (now - window.startedAt >= this.options.windowMs) this.windows.delete(id);
    // Still full of live windows: forget the oldest ones rather than grow without bound.
    for (const id of this.windows.keys()) {
      if (this.windows.size < this.maxTracked) break;
      this.windows.delete(id);
    }
  }
}
