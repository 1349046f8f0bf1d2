// One footprint snapshot of the running system: the supervisor and every app it runs (pids from the supervisor's
// status over the bus), their memory and threads from /proc, their V8 heaps from their latest heartbeats, and the CPU
// each used over an idle window (CPU time from /proc at its start and end; the heartbeats' own cpu_percent beside it).
import { type BusClient } from '@aico/bus';
import { requestWhenRoutable } from '@aico/bus/testing';
import { SupervisedAppState, SupervisorTopics, SystemTopics, type Heartbeat } from '@aico/contracts';
import { mib, round } from '../support/bench-runtime';
import { cpuPercent, sampleProcess, totalTicks, CLOCK_TICKS_PER_SECOND, type ProcSample } from './proc-figures';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ProcessFigures {
  readonly name: string;
  readonly pid: number;
  readonly rssMiB: number | null;
  readonly pssMiB: number | null;
  readonly heapUsedMiB: number | null;
  readonly heapTotalMiB: number | null;
  readonly threads: number | null;
  /** Over the idle window, % of one core, from /proc. */
  readonly cpuPercent: number | null;
  /** The mean of the cpu_percent of the heartbeats heard during the window (each: since the previous beat). */
  readonly heartbeatCpuPercent: number | null;
}

export interface Snapshot {
  readonly idleWindowSeconds: number;
  readonly processes: readonly ProcessFigures[];
  /** The per-process figures that add up, summed over the processes. */
  readonly totals: Pick<ProcessFigures, 'rssMiB' | 'pssMiB' | 'heapUsedMiB' | 'heapTotalMiB' | 'threads' | 'cpuPercent'>;
}

/** Every heartbeat on the bus, kept per service: the latest one, and those since the last `mark()`. */
export class Heartbeats {
  private readonly latest = new Map<string, Heartbeat>();
  private readonly sinceMark = new Map<string, Heartbeat[]>();

  constructor(bus: BusClient) {
    bus.subscribe(SystemTopics.heartbeat, (event) => {
      const beat = event.payload;
      this.latest.set(beat.service, beat);
      this.sinceMark.set(beat.service, [...(this.sinceMark.get(beat.service) ?? []), beat]);
    });
  }

  mark(): void {
    this.sinceMark.clear();
  }

  /** The latest beat of `service` from the process `pid` (a beat of an earlier process of it does not count). */
  latestOf(service: string, pid: number): Heartbeat | undefined {
    const beat = this.latest.get(service);
    return beat?.process?.pid === pid ? beat : undefined;
  }

  meanCpuSinceMark(service: string, pid: number): number | null {
    const beats = (this.sinceMark.get(service) ?? []).filter((beat) => beat.process?.pid === pid);
    return beats.length === 0 ? null : round(beats.reduce((sum, beat) => sum + (beat.process?.cpuPercent ?? 0), 0) / beats.length, 2);
  }
}

export interface SupervisedProcess {
  readonly name: string;
  readonly pid: number;
}

/** The supervisor itself (first) and its apps, in start order, once every app is ready. */
export async function readyProcesses(bus: BusClient, timeoutMs = 300_000): Promise<SupervisedProcess[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await requestWhenRoutable((ms) => bus.request(SupervisorTopics.status, {}, { timeoutMs: ms }), Math.max(1_000, deadline - Date.now()));
    if (status.allReady && status.apps.every((app) => app.state === SupervisedAppState.READY && app.pid > 0))
      return [{ name: 'supervisor', pid: status.pid }, ...status.apps.map((app) => ({ name: app.name, pid: app.pid }))];
    if (Date.now() > deadline) throw new Error(`the apps were not all ready within ${timeoutMs} ms: ${JSON.stringify(status.apps.map((app) => app.name))}`);
    await sleep(250);
  }
}

/**
 * Waits for the system to go idle: at least `minMs`, then 5-second windows until the processes together used less
 * than `maxPercent` of a core in one, or two windows in a row differ by less than `steadyPoints` (what start-up set
 * going has died down), or `capMs` passed. Answers how long it waited and the last window's CPU.
 */
export async function settle(
  pids: readonly number[],
  { minMs = 10_000, capMs = 60_000, maxPercent = 2, steadyPoints = 0.5 } = {},
): Promise<{ settleMs: number; lastWindowsCpuPercent: number[] }> {
  const started = performance.now();
  await sleep(minMs);
  const windows: number[] = [];
  while (performance.now() - started < capMs) {
    const before = totalTicks(pids);
    const t0 = performance.now();
    await sleep(5_000);
    const percent = round(((totalTicks(pids) - before) / CLOCK_TICKS_PER_SECOND / ((performance.now() - t0) / 1000)) * 100, 2);
    windows.push(percent);
    if (percent < maxPercent || (windows.length >= 2 && Math.abs(percent - windows.at(-2)!) < steadyPoints)) break;
  }
  return { settleMs: Math.round(performance.now() - started), lastWindowsCpuPercent: windows.slice(-2) };
}

const sum = (values: readonly (number | null)[], digits = 1): number | null =>
  values.some((value) => value === null)
    ? null
    : round(
        values.reduce<number>((total, value) => total + value!, 0),
        digits,
      );

function figures(target: SupervisedProcess, before: ProcSample, after: ProcSample, seconds: number, heartbeats: Heartbeats): ProcessFigures {
  const beat = heartbeats.latestOf(target.name, target.pid)?.process;
  const windowCpu = cpuPercent(before, after, seconds);
  return {
    name: target.name,
    pid: target.pid,
    // Without /proc (not Linux), the RSS the process reported in its heartbeat.
    rssMiB: mib(after.rssBytes ?? (beat ? Number(beat.rssBytes) : null)),
    pssMiB: mib(after.pssBytes),
    heapUsedMiB: mib(beat ? Number(beat.heapUsedBytes) : null),
    heapTotalMiB: mib(beat ? Number(beat.heapTotalBytes) : null),
    threads: after.threads,
    cpuPercent: windowCpu === null ? null : round(windowCpu, 2),
    heartbeatCpuPercent: heartbeats.meanCpuSinceMark(target.name, target.pid),
  };
}

/** Measures `targets` over an idle window of `seconds` (the memory figures at its end). */
export async function measure(targets: readonly SupervisedProcess[], seconds: number, heartbeats: Heartbeats): Promise<Snapshot> {
  heartbeats.mark();
  const before = targets.map((target) => sampleProcess(target.pid));
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const after = targets.map((target) => sampleProcess(target.pid));
  const elapsed = (performance.now() - t0) / 1000;
  const processes = targets.map((target, i) => figures(target, before[i]!, after[i]!, elapsed, heartbeats));
  // The supervisor may not beat: the heap totals are over the processes that did (null only when none did).
  const heaps = (key: 'heapUsedMiB' | 'heapTotalMiB') => {
    const known = processes.map((p) => p[key]).filter((value): value is number => value !== null);
    return known.length === 0 ? null : sum(known);
  };
  return {
    idleWindowSeconds: round(elapsed, 1),
    processes,
    totals: {
      rssMiB: sum(processes.map((p) => p.rssMiB)),
      pssMiB: sum(processes.map((p) => p.pssMiB)),
      heapUsedMiB: heaps('heapUsedMiB'),
      heapTotalMiB: heaps('heapTotalMiB'),
      threads: sum(
        processes.map((p) => p.threads),
        0,
      ),
      cpuPercent: sum(
        processes.map((p) => p.cpuPercent),
        2,
      ),
    },
  };
}
