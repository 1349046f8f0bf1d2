// Where the supervisor's build is and how to reach the running one: its pid file under <dataDir>/run (the shared
// @aico/pid-files format), or the `<dataDir>/supervisor.pid` a supervisor of an earlier version wrote.
// eslint-disable-next-line @nx/enforce-module-boundaries -- the build layout is the build tool's to define; every build carries this file
import { appEntryPoint, appsDirAbove } from '../../../tools/build/build-paths.mjs';
import { isRunning, readLegacySupervisorPidFile, readPidFile, SUPERVISOR_PID_NAME, type PidFileEntry } from '@aico/pid-files';

/** The supervisor's build beside the CLI's: dist/apps/cli/apps/cli/src → dist/apps/supervisor/apps/supervisor/src/main.js */
export const supervisorEntryPointBeside = (cliSourceDir: string): string => appEntryPoint(appsDirAbove(cliSourceDir), 'supervisor');
export const SUPERVISOR_SCRIPT = supervisorEntryPointBeside(__dirname);

export { SUPERVISOR_PID_NAME };

/** The supervisor running for `dataDir`: a pid file naming a live process that still runs the supervisor's script. */
export async function runningSupervisor(dataDir: string, script: string = SUPERVISOR_SCRIPT): Promise<PidFileEntry | undefined> {
  for (const entry of [await readPidFile(dataDir, SUPERVISOR_PID_NAME), await readLegacySupervisorPidFile(dataDir, script)]) {
    if (entry && isRunning(entry)) return entry;
  }
  return undefined;
}
