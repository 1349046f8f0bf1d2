import { IdempotencyCache } from './idempotency-cache';

describe('IdempotencyCache', () => {
  it('computes once per key and replays the result to repeats', async () => {
    const cache = new IdempotencyCache<number>();
    let calls = 0;
    const compute = async () => ++calls;
    const first = cache.run('k', compute);
    const repeat = cache.run('k', compute);
    expect(first.replayed).toBe(false);
    expect(repeat.replayed).toBe(true);
    expect(await repeat.result).toBe(1);
    expect(calls).toBe(1);
  });

  it('forgets failures so a retry runs again', async () => {
    const cache = new IdempotencyCache<number>();
    await expect(cache.run('k', () => Promise.reject(new Error('transient'))).result).rejects.toThrow('transient');
    const retry = cache.run('k', async () => 2);
    expect(retry.replayed).toBe(false);
    expect(await retry.result).toBe(2);
  });

  it('expires entries after the TTL and evicts the oldest when full', async () => {
    const cache = new IdempotencyCache<string>(2, 1_000);
    cache.run('a', async () => 'a', 0);
    expect(cache.run('a', async () => 'again', 999).replayed).toBe(true);
    expect(cache.run('a', async () => 'again', 1_001).replayed).toBe(false);
    cache.run('b', async () => 'b', 1_001);
    cache.run('c', async () => 'c', 1_001);
    expect(cache.size).toBe(2);
    expect(cache.run('a', async () => 'x', 1_002).replayed).toBe(false);
  });
});
