import { captureLogger } from '@aico/logging';
import { ManualClock } from '../monitor.test-helpers';
import type { BatteryReading } from './resource-reading';
import { ResourceSampler } from './resource-sampler';
import { ServiceProcessTable } from './service-processes';
import type { CpuTimes, OsProcessUsage, SystemProbe } from './system-probe';

type Battery = Omit<BatteryReading, 'sampledAtMs'>;

/** A probe that replays what a test sets and counts the expensive calls. */
class ScriptedProbe implements SystemProbe {
  times: CpuTimes = { user: 0, system: 0, idle: 0, cores: 4 };
  batteryAnswer: Battery | Error = { hasBattery: true, percent: 80, acConnected: false, charging: false, minutesRemaining: 200 };
  processList: OsProcessUsage[] = [];
  batteryReads = 0;
  processReads = 0;
  cpuTimes = () => this.times;
  loadAverage = () => ({ available: true, oneMinute: 0.5, fiveMinutes: 0.4, fifteenMinutes: 0.3 });
  memory = () => Promise.resolve({ totalBytes: 8e9, availableBytes: 2e9, swapTotalBytes: 0, swapUsedBytes: 0 });
  battery = () => {
    this.batteryReads++;
    return this.batteryAnswer instanceof Error ? Promise.reject(this.batteryAnswer) : Promise.resolve(this.batteryAnswer);
  };
  processes = () => {
    this.processReads++;
    return Promise.resolve(this.processList);
  };
  /** Advances the CPU counters by these milliseconds of busy (user, system) and idle time. */
  spend(user: number, system: number, idle: number): void {
    this.times = { ...this.times, user: this.times.user + user, system: this.times.system + system, idle: this.times.idle + idle };
  }
}

function newTestSampler() {
  const probe = new ScriptedProbe();
  const clock = new ManualClock();
  const services = new ServiceProcessTable();
  const { logger, lines } = captureLogger('monitor');
  const sut = new ResourceSampler(probe, services, { batteryIntervalMs: 30_000, processIntervalMs: 10_000 }, clock, logger);
  return { sut, probe, clock, services, lines };
}

describe('resource sampler', () => {
  it('measures CPU as busy time since the previous reading, across all cores', async () => {
    const { sut, probe, clock } = newTestSampler();
    probe.spend(1_500, 500, 2_000);
    clock.advance(1_000);
    expect((await sut.sample()).cpu).toEqual({ loadPercent: 50, userPercent: 37.5, systemPercent: 12.5, cores: 4 });
    probe.spend(0, 0, 4_000);
    expect((await sut.sample()).cpu.loadPercent).toBe(0);
    // No time passed at all (two readings in the same tick): zero, not NaN.
    expect((await sut.sample()).cpu.loadPercent).toBe(0);
  });

  it('reads the battery once per battery interval and reuses it in between', async () => {
    const { sut, probe, clock } = newTestSampler();
    const first = await sut.sample();
    probe.batteryAnswer = { hasBattery: true, percent: 79, acConnected: false, charging: false, minutesRemaining: 190 };
    clock.advance(29_999);
    expect((await sut.sample()).battery).toEqual(first.battery);
    clock.advance(1);
    expect((await sut.sample()).battery).toMatchObject({ percent: 79, sampledAtMs: clock.now() });
    expect(probe.batteryReads).toBe(2);
  });

  it('a battery that cannot be read is logged once and sampled as none, never failing the reading', async () => {
    const { sut, probe, clock, lines } = newTestSampler();
    probe.batteryAnswer = new Error('ioreg: command failed');
    expect((await sut.sample()).battery).toMatchObject({ hasBattery: false, acConnected: true });
    clock.advance(30_000);
    await sut.sample();
    expect(lines.filter((line) => line.msg.startsWith('Cannot read the battery'))).toHaveLength(1);
    probe.batteryAnswer = { hasBattery: false, percent: 0, acConnected: true, charging: false, minutesRemaining: undefined };
    clock.advance(30_000);
    await sut.sample();
    expect(lines.at(-1)).toMatchObject({ msg: 'Reading the battery works again' });
  });

  it('reports aico processes by the pids heard on the bus; lists processes per interval, and at once for a new pid', async () => {
    const { sut, probe, clock, services } = newTestSampler();
    expect((await sut.sample()).processes).toEqual([]);
    expect(probe.processReads).toBe(0); // nothing to look up, no `ps`
    probe.processList = [
      { pid: 101, cpuPercent: 2.5, rssBytes: 50e6 },
      { pid: 7, cpuPercent: 0, rssBytes: 1e6 },
    ];
    services.heard('storage', 'st-1', 101, clock.now(), 5_000);
    expect((await sut.sample()).processes).toEqual([
      { service: 'storage', instanceId: 'st-1', pid: 101, found: true, cpuPercent: 2.5, rssBytes: 50e6, sampledAtMs: clock.now() },
    ]);
    services.heard('keys', 'k-1', 202, clock.advance(1_000), 5_000);
    const withNew = await sut.sample();
    expect(probe.processReads).toBe(2); // the new pid was looked up at once
    expect(withNew.processes.map((process) => [process.service, process.found])).toEqual([
      ['keys', false],
      ['storage', true],
    ]);
    clock.advance(1_000);
    await sut.sample();
    expect(probe.processReads).toBe(2); // a pid not found is not looked up again until the interval
    services.heard('keys', 'k-1', 202, clock.now(), 5_000);
    services.heard('storage', 'st-1', 101, clock.now(), 5_000);
    clock.advance(10_000);
    await sut.sample();
    expect(probe.processReads).toBe(3);
  });

  it('forgets a process that announced its stop or missed three heartbeats', () => {
    const services = new ServiceProcessTable();
    services.heard('storage', 'st-1', 101, 0, 1_000);
    services.heard('keys', 'k-1', 202, 0, 5_000);
    services.heard('ghost', '', 303, 0);
    services.heard('nopid', 'n-1', 0, 0);
    expect(services.current(3_000).map((process) => process.service)).toEqual(['keys', 'storage']);
    expect(services.current(3_001).map((process) => process.service)).toEqual(['keys']);
    services.stopped('k-1');
    expect(services.current(3_001)).toEqual([]);
  });
});
