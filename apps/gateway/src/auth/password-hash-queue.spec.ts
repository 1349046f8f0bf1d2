import { ControllableHasher } from './auth.test-helpers';
import { PasswordHashQueue } from './password-hash-queue';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('PasswordHashQueue', () => {
  it('runs at most `concurrency` checks at once, lets `maxWaiting` wait, and refuses the rest at once with 503 and Retry-After (finding 6)', async () => {
    const hasher = new ControllableHasher();
    hasher.hold();
    const queue = new PasswordHashQueue({ concurrency: 2, maxWaiting: 3 }, hasher);
    const accepted = Array.from({ length: 5 }, (_, i) => queue.verify('hash:right', `attempt-${i}`));
    await settle();
    expect(hasher.running).toBe(2);
    expect(queue.stats).toEqual({ running: 2, waiting: 3, refused: 0 });
    const refused = await Promise.allSettled(Array.from({ length: 4 }, () => queue.verify('hash:right', 'right')));
    for (const result of refused)
      expect(result).toMatchObject({ status: 'rejected', reason: { status: 503, code: 'SERVER_BUSY', details: { retryAfterSeconds: 1 } } });
    expect(hasher.checked).toHaveLength(2);
    // Releasing the running ones lets the waiting ones run; nothing refused ever runs.
    const results = Promise.all(accepted);
    while (hasher.checked.length < 5) {
      hasher.releaseAll();
      hasher.hold();
      await settle();
    }
    hasher.releaseAll();
    expect(await results).toEqual([false, false, false, false, false]);
    expect(hasher.checked).toEqual(['attempt-0', 'attempt-1', 'attempt-2', 'attempt-3', 'attempt-4']);
    expect(queue.stats).toEqual({ running: 0, waiting: 0, refused: 4 });
  });

  it('checks against the decoy when there is no stored hash, and hashes through the same queue', async () => {
    const hasher = new ControllableHasher();
    const queue = new PasswordHashQueue({ concurrency: 1, maxWaiting: 0 }, hasher);
    await expect(queue.verify(undefined, 'anything')).resolves.toBe(false);
    await expect(queue.hash('secret')).resolves.toBe('hash:secret');
  });
});
