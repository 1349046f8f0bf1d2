// The CPU time and memory of a process, read from outside (/proc: Linux only), for the llm benchmark.
import { readdirSync, readFileSync } from 'node:fs';
import { round } from '../support/bench-runtime';

/** Idle: less than this share of one core over IDLE_WINDOW_MS. */
export const IDLE_SHARE = 0.1;
export const IDLE_WINDOW_MS = 50;

/** CPU time of every thread of `pid` so far, in nanoseconds (/proc/<pid>/task/<tid>/schedstat: run time first). */
export function cpuNs(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return total;
}

/**
 * Reads the CPU time of `pid` as often as the event loop allows for `forMs` from now (the moment of the cancel), and
 * resolves with how long after that moment the process went idle (the start of the first IDLE_WINDOW_MS in which it
 * used less than IDLE_SHARE of a core: decoding uses a whole core per thread), the CPU it used in all that time (the
 * tail: the final reply, the monitor job's end, logging) and in its last 500 ms (the idle floor: heartbeats, timers).
 */
export function idleAfter(pid: number, forMs = 1_500): Promise<{ idleAfterMs: number; cpuMsInWindow: number; floorPercentOfCore: number }> {
  const t0 = performance.now();
  const samples: { t: number; ns: number }[] = [{ t: t0, ns: cpuNs(pid) }];
  return new Promise((resolve) => {
    const tick = () => {
      const t = performance.now();
      samples.push({ t, ns: cpuNs(pid) });
      if (t - t0 < forMs) {
        setImmediate(tick);
        return;
      }
      let idleAt: number | undefined;
      for (const from of samples) {
        const to = samples.find((sample) => sample.t >= from.t + IDLE_WINDOW_MS);
        if (!to) break;
        if ((to.ns - from.ns) / 1e6 / (to.t - from.t) < IDLE_SHARE) {
          idleAt = from.t;
          break;
        }
      }
      const last = samples.at(-1)!;
      const floorFrom = samples.find((sample) => sample.t >= last.t - 500)!;
      resolve({
        idleAfterMs: idleAt === undefined ? -1 : round(idleAt - t0, 1),
        cpuMsInWindow: round((last.ns - samples[0]!.ns) / 1e6, 1),
        floorPercentOfCore: round(((last.ns - floorFrom.ns) / 1e6 / Math.max(1, last.t - floorFrom.t)) * 100, 2),
      });
    };
    setImmediate(tick);
  });
}

export const rssOf = (pid: number) => Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
