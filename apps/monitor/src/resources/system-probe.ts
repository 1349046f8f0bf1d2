// What the sampler asks the operating system, behind an interface so tests feed recorded values. The real probe
// uses systeminformation, with two measured exceptions on Linux (tools/bench/monitor):
// - CPU time: `currentLoad()` spawns `sh -c "cat /proc/stat | grep cpu"` synchronously on every call (5.3 ms CPU a
//   call, 3.5 ms of it in the child, the event loop blocked meanwhile) for the per-core times `os.cpus()` reads
//   in-process in 0.05 ms.
// - memory: `mem()` reads /proc/meminfo through the thread pool and scans it once per figure (0.41 ms CPU a call,
//   once a second); one synchronous read and one pass take 0.04 ms.
// - aico's processes: `processes()` runs `ps` and then one `cat` per process on the machine (27 ms CPU a call here,
//   nearly all in children), to report on the three to seven pids the monitor asks about; /proc/<pid> has them.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as si from 'systeminformation';
import type { BatteryReading, LoadAverageReading, MemoryReading } from './resource-reading';

/** Cumulative CPU time of all cores since boot, in milliseconds. */
export interface CpuTimes {
  readonly user: number;
  readonly system: number;
  readonly idle: number;
  readonly cores: number;
}

export interface OsProcessUsage {
  readonly pid: number;
  /** Share of all cores together since the previous process listing, 0-100. */
  readonly cpuPercent: number;
  readonly rssBytes: number;
}

export interface SystemProbe {
  cpuTimes(): CpuTimes;
  loadAverage(): LoadAverageReading;
  memory(): Promise<MemoryReading>;
  battery(): Promise<Omit<BatteryReading, 'sampledAtMs'>>;
  /** The usage of these processes; a pid that does not exist is left out. */
  processes(pids: readonly number[]): Promise<readonly OsProcessUsage[]>;
}

export class SystemInformationProbe implements SystemProbe {
  private readonly proc = process.platform === 'linux' ? new ProcProcessReader() : undefined;
  private readonly meminfo = process.platform === 'linux' ? '/proc/meminfo' : undefined;

  cpuTimes(): CpuTimes {
    let user = 0;
    let system = 0;
    let idle = 0;
    const all = cpus();
    for (const { times } of all) {
      user += times.user + times.nice;
      system += times.sys + times.irq;
      idle += times.idle;
    }
    return { user, system, idle, cores: all.length };
  }

  loadAverage(): LoadAverageReading {
    const [oneMinute = 0, fiveMinutes = 0, fifteenMinutes = 0] = loadavg();
    // Windows has no load average; Node reports zeros there.
    return { available: process.platform !== 'win32', oneMinute, fiveMinutes, fifteenMinutes };
  }

  async memory(): Promise<MemoryReading> {
    const reading = this.meminfo ? parseMeminfo(readTextOrEmpty(this.meminfo)) : undefined;
    if (reading) return reading;
    const memory = await si.mem();
    return { totalBytes: memory.total, availableBytes: memory.available, swapTotalBytes: memory.swaptotal, swapUsedBytes: memory.swapused };
  }

  async battery(): Promise<Omit<BatteryReading, 'sampledAtMs'>> {
    const battery = await si.battery();
    if (!battery.hasBattery) return { hasBattery: false, percent: 0, acConnected: true, charging: false, minutesRemaining: undefined };
    // systeminformation reports an unknown estimate as null or a negative number.
    const remaining = typeof battery.timeRemaining === 'number' && battery.timeRemaining > 0 ? battery.timeRemaining : undefined;
    return { hasBattery: true, percent: battery.percent, acConnected: battery.acConnected, charging: battery.isCharging, minutesRemaining: remaining };
  }

  async processes(pids: readonly number[]): Promise<readonly OsProcessUsage[]> {
    if (this.proc) return this.proc.read(pids);
    const wanted = new Set(pids);
    const { list } = await si.processes();
    // memRss is in KiB on every platform systeminformation supports.
    return list.filter((entry) => wanted.has(entry.pid)).map((entry) => ({ pid: entry.pid, cpuPercent: entry.cpu, rssBytes: entry.memRss * 1024 }));
  }
}

/** A file's text, or '' when it cannot be read (a sandbox without /proc): the caller falls back. */
function readTextOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return '';
  }
}

/**
 * MemTotal, MemAvailable and the swap figures of /proc/meminfo (kB), in bytes; undefined when one is missing (a kernel
 * before 3.14 has no MemAvailable: systeminformation estimates it then).
 */
export function parseMeminfo(text: string): MemoryReading | undefined {
  const kB = new Map<string, number>();
  for (const match of text.matchAll(/^(MemTotal|MemAvailable|SwapTotal|SwapFree):\s+(\d+) kB$/gm)) kB.set(match[1]!, Number(match[2]) * 1024);
  const [total, available, swapTotal, swapFree] = ['MemTotal', 'MemAvailable', 'SwapTotal', 'SwapFree'].map((key) => kB.get(key));
  if (total === undefined || available === undefined || swapTotal === undefined || swapFree === undefined) return undefined;
  return { totalBytes: total, availableBytes: available, swapTotalBytes: swapTotal, swapUsedBytes: swapTotal - swapFree };
}

/** USER_HZ: the unit of /proc's CPU times, 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Linux process usage from /proc/<pid>/stat (CPU ticks) and /proc/<pid>/status (VmRSS), in the units
 * systeminformation reports: CPU as a share of all cores since the previous reading (the first reading: since
 * the process started).
 */
export class ProcProcessReader {
  private previous = new Map<number, { readonly ticks: number; readonly uptimeSeconds: number }>();

  constructor(private readonly procRoot = '/proc') {}

  // procfs files are generated in memory when read: synchronous reads take microseconds, where the thread pool's
  // open, fstat, read and close cost a round trip each.
  async read(pids: readonly number[]): Promise<OsProcessUsage[]> {
    const uptimeSeconds = Number(readFileSync(`${this.procRoot}/uptime`, 'utf8').split(' ')[0]);
    const cores = cpus().length || 1;
    const seen = new Map<number, { ticks: number; uptimeSeconds: number }>();
    const usage: OsProcessUsage[] = [];
    for (const pid of pids) {
      let stat: string;
      let status: string;
      try {
        stat = readFileSync(`${this.procRoot}/${pid}/stat`, 'utf8');
        status = readFileSync(`${this.procRoot}/${pid}/status`, 'utf8');
      } catch {
        continue; // gone (ENOENT) or not ours to read: not found
      }
      // The command name (field 2) may hold spaces and parentheses: count fields from the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      const startedSeconds = Number(fields[19]) / CLOCK_TICKS_PER_SECOND;
      const before = this.previous.get(pid) ?? { ticks: 0, uptimeSeconds: startedSeconds };
      const elapsed = uptimeSeconds - before.uptimeSeconds;
      const busySeconds = (ticks - before.ticks) / CLOCK_TICKS_PER_SECOND;
      const rssKiB = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
      usage.push({ pid, cpuPercent: elapsed > 0 ? Math.min(100, Math.max(0, (busySeconds / elapsed / cores) * 100)) : 0, rssBytes: rssKiB * 1024 });
      seen.set(pid, { ticks, uptimeSeconds });
    }
    this.previous = seen;
    return usage;
  }
}
