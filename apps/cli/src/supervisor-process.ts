// Where the supervisor's build is and how to reach the running one: its pid file in the data directory.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

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
  try {
    const parsed = JSON.parse(await readFile(join(dataDir, 'supervisor.pid'), 'utf8')) as Partial<RunningSupervisor>;
    return typeof parsed.pid === 'number' && isAlive(parsed.pid) ? { pid: parsed.pid, startedAt: String(parsed.startedAt) } : undefined;
  } catch {
    return undefined;
  }
}
