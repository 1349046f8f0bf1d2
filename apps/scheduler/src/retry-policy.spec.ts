import { backoffDelay } from './retry-policy';

describe('backoff', () => {
  const retry = { maxAttempts: 6, initialBackoffMs: 1_000, maxBackoffMs: 10_000, jitter: 0 };

  it('doubles from the initial wait up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((failed) => backoffDelay(retry, failed, () => 0.9))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000]);
  });

  it('shortens each wait by up to the jitter fraction, never below that floor nor above the base', () => {
    const jittered = { ...retry, jitter: 0.3 };
    expect(backoffDelay(jittered, 2, () => 0)).toBe(2_000);
    expect(backoffDelay(jittered, 2, () => 0.5)).toBe(1_700);
    expect(backoffDelay(jittered, 2, () => 0.999999)).toBe(1_400);
    const draws = Array.from({ length: 1_000 }, () => backoffDelay(jittered, 4, Math.random));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(5_600);
    expect(Math.max(...draws)).toBeLessThanOrEqual(8_000);
    expect(new Set(draws).size).toBeGreaterThan(100); // actually spread
  });
});
