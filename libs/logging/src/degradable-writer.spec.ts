import { DegradableWriter, type DegradedNotice, type RecoveredNotice, type WriteTarget } from './degradable-writer';

/** A destination that fails with ENOSPC while `full` is set, like a file on a full disk. */
class DiskLikeTarget implements WriteTarget {
  readonly name = '/data/logs/storage.1.log';
  full = false;
  attempts = 0;
  readonly written: string[] = [];
  write(data: string): void {
    this.attempts++;
    if (this.full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    this.written.push(data);
  }
}

function setup(retryIntervalMs = 1_000) {
  const target = new DiskLikeTarget();
  let now = 10_000;
  const degraded: DegradedNotice[] = [];
  const recovered: RecoveredNotice[] = [];
  const writer = new DegradableWriter(target, { retryIntervalMs, now: () => now, onDegraded: (n) => degraded.push(n), onRecovered: (n) => recovered.push(n) });
  return { target, writer, degraded, recovered, advance: (ms: number) => (now += ms) };
}

describe('DegradableWriter', () => {
  it('drops and counts lines while the destination fails with ENOSPC, says so once, and recovers by itself with the count', () => {
    const { target, writer, degraded, recovered, advance } = setup();
    expect(writer.write('a\n')).toBe(true);
    target.full = true;
    for (let i = 0; i < 5; i++) expect(writer.write(`lost ${i}\n`)).toBe(false);
    expect(writer).toMatchObject({ degraded: true, dropped: 5, droppedTotal: 5 });
    expect(degraded).toEqual([{ destination: '/data/logs/storage.1.log', code: 'ENOSPC', message: 'ENOSPC: no space left on device, write' }]);
    advance(1_000);
    expect(writer.write('still full\n')).toBe(false);
    expect(degraded).toHaveLength(1);

    target.full = false;
    advance(999);
    expect(writer.write('too early to try again\n')).toBe(false);
    advance(1);
    expect(writer.write('b\n')).toBe(true);
    expect(recovered).toEqual([{ destination: '/data/logs/storage.1.log', dropped: 7, degradedForMs: 2_000 }]);
    expect(writer).toMatchObject({ degraded: false, dropped: 0, droppedTotal: 7 });
    expect(target.written).toEqual(['a\n', 'b\n']);

    // A second failure is a new episode: reported again, counted from zero.
    target.full = true;
    writer.write('c\n');
    target.full = false;
    advance(1_000);
    writer.write('d\n');
    expect(degraded).toHaveLength(2);
    expect(recovered.at(-1)).toMatchObject({ dropped: 1 });
    expect(writer.droppedTotal).toBe(8);
  });

  it('tries a failing destination at most once per retry interval, so a flood of lines costs no system calls', () => {
    const { target, writer, advance } = setup();
    target.full = true;
    for (let i = 0; i < 1_000; i++) writer.write('x\n');
    expect(target.attempts).toBe(1);
    advance(1_000);
    for (let i = 0; i < 1_000; i++) writer.write('x\n');
    expect(target.attempts).toBe(2);
  });

  it('never throws, not even when a listener does', () => {
    const target = new DiskLikeTarget();
    target.full = true;
    const writer = new DegradableWriter(target, {
      retryIntervalMs: 0,
      onDegraded: () => {
        throw new Error('listener failed');
      },
      onRecovered: () => {
        throw new Error('listener failed');
      },
    });
    expect(() => writer.write('a\n')).not.toThrow();
    target.full = false;
    expect(writer.write('b\n')).toBe(true);
  });
});
