// Where the supervisor's build is and how to reach the running one: its pid file under <dataDir>/run (the shared
// @aico/pid-files format), or the `<dataDir>/supervisor.pid` a supervisor of an earlier version wrote.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isRunning, readPidFile, type PidFileEntry } from '@aico/pid-files';

/** The supervisor's build beside the CLI's: dist/apps/cli/apps/cli/src → dist/apps/supervisor/apps/supervisor/src/main.js */
export const supervisorEntryPointBeside = (cliSourceDir: string): string => resolve(cliSourceDir, '..', '..', '..', '..', 'supervisor', 'apps', 'supervisor', 'src', 'main.js');
export const SUPERVISOR_SCRIPT = supervisorEntryPointBeside(__dirname);

export const SUPERVISOR_PID_NAME = 'supervisor';

/** `{ pid, startedAt }` in the data directory itself, without the script: checked against this build's supervisor. */
async function legacySupervisor(dataDir: string, script: string): Promise<PidFileEntry | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dataDir, 'supervisor.pid'), 'utf8')) as { pid?: unknown; startedAt?: unknown };
    if (typeof parsed.pid !== 'number') return undefined;
    return { name: SUPERVISOR_PID_NAME, pid: parsed.pid, script, startedAt: String(parsed.startedAt) };
  } catch {
    return undefined;
  }
}

/** The supervisor running for `dataDir`: a pid file naming a live process that still runs the supervisor's script. */
export async function runningSupervisor(dataDir: string, script: string = SUPERVISOR_SCRIPT): Promise<PidFileEntry | undefined> {
  for (const entry of [await readPidFile(dataDir, SUPERVISOR_PID_NAME), await legacySupervisor(dataDir, script)]) {
    if (entry && isRunning(entry)) return entry;
  }
  return undefined;
}
