// aico apps left running without their supervisor (it was killed, or died on a full disk): found by their pid files
// under <dataDir>/run and stopped the way the supervisor would have stopped them — SIGTERM, a generous wait, then
// SIGKILL. A pid is only ever signalled while its process still runs the script its file names, so a pid reused by
// an unrelated process is never touched.
import { isAlive, isRunning, readPidFiles, removePidFile, type PidFileEntry } from '@aico/pid-files';
import { SUPERVISOR_PID_NAME } from './supervisor-process';

export interface StopTimings {
  /** How long an app may take to stop cleanly after SIGTERM (storage checkpoints its database). */
  readonly graceMs: number;
  /** How long to wait for the kernel to remove a process after SIGKILL. */
  readonly killWaitMs: number;
  /**
   * How long to wait, once a process has ended, for init to reap it (until then its pid still answers, as a zombie).
   * Not an error when it runs out: some inits reap late or never, and the process has ended either way.
   */
  readonly reapWaitMs: number;
  /** How often to look whether the processes are gone (they are not our children: no exit event to wait for). */
  readonly pollMs: number;
}

export const DEFAULT_STOP_TIMINGS: StopTimings = { graceMs: 60_000, killWaitMs: 10_000, reapWaitMs: 15_000, pollMs: 100 };

export type StopOutcome = 'stopped' | 'killed' | 'survived';

export interface StoppedApp {
  readonly entry: PidFileEntry;
  readonly outcome: StopOutcome;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The apps whose pid files name a process that still runs the named script. Files of processes that are gone are
 * removed on the way (only if they still name that pid), so they cannot later name a reused pid.
 */
export async function findAppProcesses(dataDir: string): Promise<PidFileEntry[]> {
  const running: PidFileEntry[] = [];
  for (const entry of await readPidFiles(dataDir)) {
    if (entry.name === SUPERVISOR_PID_NAME) continue;
    if (isRunning(entry)) running.push(entry);
    else await removePidFile(dataDir, entry.name, entry.pid).catch(() => undefined);
  }
  return running;
}

/** Sends `signal` if the process is still the one its file names; false when it is gone (or not ours to signal). */
function signalIfRunning(entry: PidFileEntry, signal: NodeJS.Signals): boolean {
  if (!isRunning(entry)) return false;
  try {
    process.kill(entry.pid, signal);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilGone(entries: readonly PidFileEntry[], deadlineMs: number, pollMs: number): Promise<PidFileEntry[]> {
  const deadline = Date.now() + deadlineMs;
  let left = entries.filter(isRunning);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(pollMs);
    left = left.filter(isRunning);
  }
  return left;
}

/** Waits (at most `timings.reapWaitMs`) until ended processes have also left the process table. */
export async function waitUntilReaped(pids: readonly number[], timings: Pick<StopTimings, 'reapWaitMs' | 'pollMs'> = DEFAULT_STOP_TIMINGS): Promise<void> {
  const deadline = Date.now() + timings.reapWaitMs;
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(timings.pollMs);
}

/**
 * Stops the processes together (each gets SIGTERM at once, so the whole wait is one grace period, not one per app),
 * SIGKILLs those still running after the grace period, and removes the pid files of those that are gone.
 */
export async function stopAppProcesses(dataDir: string, entries: readonly PidFileEntry[], timings: StopTimings = DEFAULT_STOP_TIMINGS): Promise<StoppedApp[]> {
  for (const entry of entries) signalIfRunning(entry, 'SIGTERM');
  const stubborn = await waitUntilGone(entries, timings.graceMs, timings.pollMs);
  for (const entry of stubborn) signalIfRunning(entry, 'SIGKILL');
  const survivors = new Set(await waitUntilGone(stubborn, timings.killWaitMs, timings.pollMs));
  const results = entries.map((entry): StoppedApp => ({ entry, outcome: survivors.has(entry) ? 'survived' : stubborn.includes(entry) ? 'killed' : 'stopped' }));
  for (const { entry, outcome } of results) {
    if (outcome !== 'survived') await removePidFile(dataDir, entry.name, entry.pid).catch(() => undefined);
  }
  await waitUntilReaped(
    results.filter((result) => result.outcome !== 'survived').map((result) => result.entry.pid),
    timings,
  );
  return results;
}

/** "bus (pid 12), keys (pid 13)" */
export const describeApps = (entries: readonly Pick<PidFileEntry, 'name' | 'pid'>[]): string =>
  entries.map((entry) => `${entry.name} (pid ${entry.pid})`).join(', ');
