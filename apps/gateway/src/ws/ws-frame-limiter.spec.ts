import { TokenBucket } from './token-bucket';
import { WsFrameLimiter, type FrameLimits } from './ws-frame-limiter';

/** A clock the test moves by hand. */
function newTestLimiter(limits: Partial<FrameLimits> = {}) {
  const clock = { now: 1_000_000 };
  const sut = new WsFrameLimiter(
    { framesPerMinute: 60, frameBurst: 3, userFramesPerMinute: 600, userFrameBurst: 5, refusalsBeforeClose: 4, ...limits },
    () => clock.now,
  );
  return { sut, clock };
}

describe('TokenBucket', () => {
  it('starts full, takes one a unit, refills continuously up to its capacity, and ignores a clock going back', () => {
    const bucket = new TokenBucket(2, 60, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, false]);
    expect(bucket.take(999)).toBe(false);
    expect(bucket.take(1_000)).toBe(true);
    expect(bucket.isFull(60_000)).toBe(true);
    expect([bucket.take(60_000), bucket.take(60_000), bucket.take(60_000)]).toEqual([true, true, false]);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(61_000)).toBe(true);
  });
});

describe('WsFrameLimiter', () => {
  it('admits a burst per connection, then refuses until time refills it', () => {
    const { sut, clock } = newTestLimiter();
    const connection = sut.connection('ada');
    expect([1, 2, 3].map(() => sut.admit(connection).admitted)).toEqual([true, true, true]);
    expect(sut.admit(connection)).toEqual({ admitted: false, scope: 'connection', close: false });
    clock.now += 1_000;
    expect(sut.admit(connection).admitted).toBe(true);
  });

  it("shares a user's allowance between the user's connections, and not with other users", () => {
    const { sut } = newTestLimiter({ frameBurst: 100, userFrameBurst: 4 });
    const [first, second, other] = [sut.connection('ada'), sut.connection('ada'), sut.connection('bob')];
    expect([first, first, second, second].map((c) => sut.admit(c).admitted)).toEqual([true, true, true, true]);
    expect(sut.admit(second)).toEqual({ admitted: false, scope: 'user', close: false });
    expect(sut.admit(first)).toMatchObject({ admitted: false, scope: 'user' });
    expect(sut.admit(other).admitted).toBe(true);
  });

  it('asks to close a connection refused more often than the configured excess, net of frames it was served', () => {
    const { sut, clock } = newTestLimiter({ frameBurst: 1, refusalsBeforeClose: 3 });
    const connection = sut.connection('ada');
    expect(sut.admit(connection).admitted).toBe(true);
    expect([1, 2, 3].map(() => sut.admit(connection))).toEqual(Array(3).fill({ admitted: false, scope: 'connection', close: false }));
    // One frame served takes one refusal off: a client that slows down is not closed for an old burst.
    clock.now += 1_000;
    expect(sut.admit(connection).admitted).toBe(true);
    expect(sut.admit(connection)).toMatchObject({ close: false });
    expect(sut.admit(connection)).toMatchObject({ admitted: false, close: true });
  });

  it('keeps a user bucket after the last connection until it is full again, so reconnecting buys nothing', () => {
    const { sut, clock } = newTestLimiter({ frameBurst: 100, userFrameBurst: 2, userFramesPerMinute: 60 });
    const first = sut.connection('ada');
    sut.admit(first);
    sut.admit(first);
    sut.sweep(new Set());
    expect(sut.trackedUsers).toBe(1);
    expect(sut.admit(sut.connection('ada'))).toMatchObject({ admitted: false, scope: 'user' });
    clock.now += 2_000;
    sut.sweep(new Set(['ada']));
    expect(sut.trackedUsers).toBe(1);
    sut.sweep(new Set());
    expect(sut.trackedUsers).toBe(0);
  });
});
