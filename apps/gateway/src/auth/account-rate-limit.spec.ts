import { AccountRateLimiter } from './account-rate-limit';
import { ManualClock } from './auth.test-helpers';

describe('AccountRateLimiter', () => {
  it('allows `limit` attempts per account per window on the injected clock', () => {
    const clock = new ManualClock();
    const limiter = new AccountRateLimiter({ limit: 2, windowMs: 60_000 }, clock);
    limiter.take('ada');
    clock.advance(30_000);
    limiter.take('ada');
    expect(() => limiter.take('ada')).toThrow(
      expect.objectContaining({ status: 429, code: 'RATE_LIMITED', details: { scope: 'account', retryAfterSeconds: 30 } }),
    );
    limiter.take('bob');
    clock.advance(30_000);
    limiter.take('ada');
  });

  it('holds no more than maxTracked accounts: ended windows go first, then the oldest', () => {
    const clock = new ManualClock();
    const limiter = new AccountRateLimiter({ limit: 1, windowMs: 1_000, maxTracked: 3 }, clock);
    for (const id of ['a', 'b', 'c']) limiter.take(id);
    clock.advance(1_000);
    limiter.take('d');
    expect(limiter.tracked).toBe(1);
    for (const id of ['e', 'f', 'g']) limiter.take(id);
    expect(limiter.tracked).toBe(3);
  });
});
