// What the footprint benchmark reads about a process from outside: resident and proportional memory, threads and CPU
// time, from /proc (Linux). Elsewhere, or for a process that is gone, each figure is null: the benchmark never fails
// on a figure it cannot read.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcSample {
  readonly rssBytes: number | null;
  /** Proportional set size (shared pages divided among the processes sharing them), from smaps_rollup. */
  readonly pssBytes: number | null;
  readonly threads: number | null;
  /** User + system CPU time so far, in clock ticks (utime + stime of /proc/<pid>/stat). */
  readonly cpuTicks: number | null;
}

/** Clock ticks per second of /proc/<pid>/stat's times (`getconf CLK_TCK`, 100 almost everywhere). */
export const CLOCK_TICKS_PER_SECOND: number = (() => {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
})();

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

const kibField = (text: string | undefined, field: string): number | null => {
  const match = text === undefined ? null : new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) * 1024 : null;
};

/** utime + stime: fields 14 and 15 of /proc/<pid>/stat, counted after the command name (which may hold spaces). */
function cpuTicksOf(stat: string | undefined): number | null {
  if (stat === undefined) return null;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : null;
}

export function sampleProcess(pid: number): ProcSample {
  if (process.platform !== 'linux' || !pid) return { rssBytes: null, pssBytes: null, threads: null, cpuTicks: null };
  const status = read(`/proc/${pid}/status`);
  const threads = status === undefined ? null : Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? Number.NaN);
  return {
    rssBytes: kibField(status, 'VmRSS'),
    pssBytes: kibField(read(`/proc/${pid}/smaps_rollup`), 'Pss'),
    threads: threads === null || Number.isNaN(threads) ? null : threads,
    cpuTicks: cpuTicksOf(read(`/proc/${pid}/stat`)),
  };
}

/** CPU used between two samples over `seconds`, as a percentage of one core; null when either sample has none. */
export function cpuPercent(before: ProcSample, after: ProcSample, seconds: number): number | null {
  if (before.cpuTicks === null || after.cpuTicks === null || seconds <= 0) return null;
  return ((after.cpuTicks - before.cpuTicks) / CLOCK_TICKS_PER_SECOND / seconds) * 100;
}

/** The summed CPU time of `pids` in ticks (processes without a figure count 0); reads only /proc/<pid>/stat. */
export const totalTicks = (pids: readonly number[]): number =>
  process.platform === 'linux' ? pids.reduce((sum, pid) => sum + (cpuTicksOf(read(`/proc/${pid}/stat`)) ?? 0), 0) : 0;
