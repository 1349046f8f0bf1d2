// CPU time and memory of a running process from /proc (Linux), for figures an e2e test prints, never asserts.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface ProcessFigures {
  /** User + system CPU time so far. */
  readonly cpuMs: number;
  readonly rssBytes: number;
  /** The peak resident set so far (VmHWM). */
  readonly peakRssBytes: number;
}

let ticksPerSecond: number | undefined;

export async function processFigures(pid: number): Promise<ProcessFigures> {
  ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at state: utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { cpuMs: Math.round((ticks * 1000) / ticksPerSecond), rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}
