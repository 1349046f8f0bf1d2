// Where the supervisor's build is and how to reach the running one: its pid file in the data directory.
import { resolve } from 'node:path';
import { isRunning, readPidFile } from '@aico/pid-files';

/** The supervisor's build beside the CLI's: dist/apps/cli/apps/cli/src → dist/apps/supervisor/apps/supervisor/src/main.js */
export const supervisorEntryPointBeside = (cliSourceDir: string): string => resolve(cliSourceDir, '..', '..', '..', '..', 'supervisor', 'apps', 'supervisor', 'src', 'main.js');
export const SUPERVISOR_SCRIPT = supervisorEntryPointBeside(__dirname);

export interface RunningSupervisor {
  readonly pid: number;
  readonly startedAt: string;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The supervisor running for `dataDir`, if its pid file names a live process. */
export async function runningSupervisor(dataDir: string): Promise<RunningSupervisor | undefined> {
  const entry = await readPidFile(dataDir, 'supervisor');
  return entry && isRunning(entry) ? { pid: entry.pid, startedAt: entry.startedAt } : undefined;
}
