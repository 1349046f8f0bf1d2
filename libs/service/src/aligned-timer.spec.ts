import { AlignedTimer, alignedWaitMs, everyAligned } from './aligned-timer';

/** Resolves on a new timer's first tick, with how late it was. */
function firstTick(periodMs: number): Promise<number> {
  return new Promise((resolve) => new AlignedTimer(resolve).arm(periodMs));
}

describe('alignedWaitMs', () => {
  it('waits until the wall clock’s next multiple of the period', () => {
    expect(alignedWaitMs(1_000, 1_700_000_000_250)).toBe(750);
    expect(alignedWaitMs(10_000, 1_700_000_003_000)).toBe(7_000);
  });

  it('waits a whole period from a boundary', () => {
    expect(alignedWaitMs(1_000, 1_700_000_000_000)).toBe(1_000);
  });

  it('never waits less than a quarter period: a tick just short of its boundary goes to the one after', () => {
    expect(alignedWaitMs(1_000, 1_700_000_000_999)).toBe(1_001);
    expect(alignedWaitMs(1_000, 1_700_000_000_760)).toBe(1_240);
    expect(alignedWaitMs(1_000, 1_700_000_000_740)).toBe(260);
  });

  it('stays within a period and a quarter for any wall clock, also one set before 1970', () => {
    for (const wall of [-3_600_001, -1, 0, 1, 42, 86_399_999, 1_700_000_000_123]) {
      const wait = alignedWaitMs(10_000, wall);
      expect(wait).toBeGreaterThanOrEqual(2_500);
      expect(wait).toBeLessThanOrEqual(12_500);
      expect(Math.abs((wall + wait) % 10_000)).toBe(0);
    }
  });
});

describe('AlignedTimer', () => {
  it('reports how late a blocked loop let it fire', async () => {
    const tick = firstTick(100);
    const until = performance.now() + 400;
    while (performance.now() < until);
    // Due at most 125 ms after it was armed, it fired after the 400 ms block.
    expect(await tick).toBeGreaterThanOrEqual(400 - 125 - 5);
  });

  it('does not fire once stopped', async () => {
    let fired = 0;
    const stopped = new AlignedTimer(() => fired++);
    stopped.arm(50);
    stopped.stop();
    // Timers of the same period armed later tick after the stopped one was due.
    await firstTick(50);
    await firstTick(50);
    expect(fired).toBe(0);
  });
});

describe('everyAligned', () => {
  it('ticks once per multiple until stopped', async () => {
    const multiples: number[] = [];
    await new Promise<void>((resolve) => {
      const every = everyAligned(100, () => {
        multiples.push(Math.floor(Date.now() / 100));
        if (multiples.length < 3) return;
        every.stop();
        resolve();
      });
    });
    // However late a tick ran, each one is past a later multiple than the one before.
    expect(multiples[1]).toBeGreaterThan(multiples[0]!);
    expect(multiples[2]).toBeGreaterThan(multiples[1]!);
  });
});
