// One supervisor per data directory: `<dataDir>/run/supervisor.pid` (@aico/pid-files, which `aico stop`/`start` and
// `aico status` read too) names the running one. A file whose process is gone (a crash, a reboot) or runs something
// else now (a reused pid) is stale and replaced. An older aico kept the file at `<dataDir>/supervisor.pid`: a
// supervisor still running from there counts as running as well.
import { isRunning, readLegacySupervisorPidFile, readPidFile, removePidFile, SUPERVISOR_PID_NAME, writePidFile } from '@aico/pid-files';

export class AlreadyRunningError extends Error {
  constructor(readonly pid: number) {
    super(`aico is already running for this data directory (supervisor pid ${pid}); run "aico stop" first.`);
  }
}

/** Takes the data directory for this process; resolves with the function that gives it back. */
export async function acquireSupervisorLock(dataDir: string): Promise<() => Promise<void>> {
  const script = process.argv[1] ?? '';
  const existing = await readPidFile(dataDir, SUPERVISOR_PID_NAME);
  if (existing && existing.pid !== process.pid && isRunning(existing)) throw new AlreadyRunningError(existing.pid);
  const legacy = await readLegacySupervisorPidFile(dataDir, script);
  if (legacy && legacy.pid !== process.pid && isRunning(legacy)) throw new AlreadyRunningError(legacy.pid);
  await writePidFile(dataDir, SUPERVISOR_PID_NAME);
  return () => removePidFile(dataDir, SUPERVISOR_PID_NAME);
}
