import { InMemoryStorage, ManualClock, VersionConflict } from './auth.test-helpers';
import { LOCKOUT_NAMESPACE, LoginLockout } from './login-lockout';
import type { StorageClient } from '@aico/storage-client';

const policy = { freeAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 8_000 };
const stored = (storage: InMemoryStorage, id: string) =>
  JSON.parse(Buffer.from(storage.state.get(`${LOCKOUT_NAMESPACE}/${id}`)!.value).toString()) as { attempts: number };

function setup() {
  const storage = new InMemoryStorage();
  const clock = new ManualClock();
  // The in-memory storage answers the three state calls the lockout makes.
  const lockout = new LoginLockout(storage as unknown as StorageClient, policy, clock);
  return { storage, clock, lockout };
}

describe('LoginLockout', () => {
  it('lets exactly the free attempts through when they arrive together', async () => {
    const { lockout, storage } = setup();
    const results = await Promise.allSettled(Array.from({ length: 12 }, () => lockout.reserve('eve')));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
    expect(stored(storage, 'eve').attempts).toBe(3);
  });

  it('doubles the wait with every attempt after the free ones, up to the maximum', async () => {
    const { lockout, clock } = setup();
    for (let i = 0; i < 3; i++) await lockout.reserve('eve');
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const refused = await lockout.reserve('eve').then(
        () => undefined,
        (error: { details: { retryAfterSeconds: number } }) => error.details.retryAfterSeconds,
      );
      waits.push(refused!);
      clock.advance(refused! * 1000);
      await lockout.reserve('eve');
    }
    expect(waits).toEqual([1, 2, 4, 8, 8, 8]);
  });

  it('reads again and decides again when another writer changed the count in between', async () => {
    const { lockout, storage } = setup();
    await storage.putState(LOCKOUT_NAMESPACE, 'eve', Buffer.from(JSON.stringify({ attempts: 0, lastAttemptAt: 0 })));
    const putState = storage.putState.bind(storage);
    let conflicts = 2;
    storage.putState = async (namespace, key, value, options) => {
      if (conflicts-- > 0) {
        // Another gateway counted an attempt first.
        await putState(namespace, key, Buffer.from(JSON.stringify({ attempts: stored(storage, key).attempts + 1, lastAttemptAt: 0 })));
        throw new VersionConflict('version conflict');
      }
      return putState(namespace, key, value, options);
    };
    await lockout.reserve('eve');
    expect(stored(storage, 'eve').attempts).toBe(3);
  });

  it('treats an unreadable count as the free attempts spent, and reads what earlier gateways wrote', async () => {
    const { lockout, storage, clock } = setup();
    await storage.putState(LOCKOUT_NAMESPACE, 'eve', Buffer.from('not json'));
    await lockout.reserve('eve');
    await expect(lockout.reserve('eve')).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED' });
    await storage.putState(LOCKOUT_NAMESPACE, 'bob', Buffer.from(JSON.stringify({ failures: 3, lastFailureAt: clock.now() })));
    await expect(lockout.reserve('bob')).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED' });
  });

  it('gives back an unchecked attempt and starts over after a success', async () => {
    const { lockout, storage } = setup();
    for (let i = 0; i < 3; i++) await lockout.reserve('eve');
    await lockout.release('eve');
    await lockout.reserve('eve');
    await expect(lockout.reserve('eve')).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED' });
    await lockout.clear('eve');
    expect(storage.state.has(`${LOCKOUT_NAMESPACE}/eve`)).toBe(false);
    await lockout.reserve('eve');
  });
});
