import { ResourceHistory } from './resource-history';

const sample = (at: string, cpu: number, available: number, battery?: { hasBattery: boolean; percent: number; acConnected: boolean }) => ({
  sampledAt: at,
  cpu: { loadPercent: cpu, cores: 2 },
  memory: { totalBytes: '8000000000', availableBytes: '4000000000', availablePercent: available },
  ...(battery ? { battery } : {}),
});

describe('ResourceHistory', () => {
  it('turns samples into points (memory used = 100 - available) and tells its listeners', () => {
    const history = new ResourceHistory(60_000);
    let changes = 0;
    history.subscribe(() => changes++);
    history.add(sample('2026-11-26T10:00:00Z', 12.5, 70));
    expect(history.current).toEqual([
      { at: Date.parse('2026-11-26T10:00:00Z'), cpuPercent: 12.5, memoryUsedPercent: 30, onBattery: false, batteryPercent: undefined },
    ]);
    expect(changes).toBe(1);
  });

  it('keeps only the window behind the newest sample, in time order even when samples arrive out of order', () => {
    const history = new ResourceHistory(60_000);
    history.add(sample('2026-11-26T10:00:00Z', 1, 90));
    history.add(sample('2026-11-26T10:00:40Z', 3, 90));
    history.add(sample('2026-11-26T10:00:20Z', 2, 90));
    expect(history.current.map((p) => p.cpuPercent)).toEqual([1, 2, 3]);
    history.add(sample('2026-11-26T10:01:30Z', 4, 90));
    expect(history.current.map((p) => p.cpuPercent)).toEqual([3, 4]);
  });

  it('ignores payloads without a time or a CPU reading and clamps readings to 0-100', () => {
    const history = new ResourceHistory(60_000);
    history.add(null);
    history.add({ cpu: { loadPercent: 5 } });
    history.add({ sampledAt: 'not a date', cpu: { loadPercent: 5 } });
    history.add({ sampledAt: '2026-11-26T10:00:00Z' });
    expect(history.current).toHaveLength(0);
    history.add(sample('2026-11-26T10:00:00Z', 130, -5));
    expect(history.current[0]).toMatchObject({ cpuPercent: 100, memoryUsedPercent: 100 });
  });

  it('marks running on battery only when there is a battery and mains power is off', () => {
    const history = new ResourceHistory(60_000);
    history.add(sample('2026-11-26T10:00:00Z', 1, 50, { hasBattery: true, percent: 40, acConnected: false }));
    history.add(sample('2026-11-26T10:00:05Z', 1, 50, { hasBattery: true, percent: 41, acConnected: true }));
    history.add(sample('2026-11-26T10:00:10Z', 1, 50, { hasBattery: false, percent: 0, acConnected: true }));
    expect(history.current.map((p) => [p.onBattery, p.batteryPercent])).toEqual([
      [true, 40],
      [false, 41],
      [false, undefined],
    ]);
  });
});
