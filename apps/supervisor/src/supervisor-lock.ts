// One supervisor per data directory: `<dataDir>/run/supervisor.pid` (@aico/pid-files, which `aico stop`/`start` and
// `aico status` read too) names the running one. A file whose process is gone (a crash, a reboot) or runs something
// else now (a reused pid) is stale and replaced. An older aico kept the file at `<dataDir>/supervisor.pid`: a
// supervisor still running from there counts as running as well.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isRunning, readPidFile, removePidFile, writePidFile } from '@aico/pid-files';

export class AlreadyRunningError extends Error {
  constructor(readonly pid: number) {
    super(`aico is already running for this data directory (supervisor pid ${pid}); run "aico stop" first.`);
  }
}

const NAME = 'supervisor';

/** Takes the data directory for this process; resolves with the function that gives it back. */
export async function acquireSupervisorLock(dataDir: string): Promise<() => Promise<void>> {
  const script = process.argv[1] ?? '';
  const existing = await readPidFile(dataDir, NAME);
  if (existing && existing.pid !== process.pid && isRunning(existing)) throw new AlreadyRunningError(existing.pid);
  const legacy = await readLegacyPid(dataDir);
  if (legacy !== undefined && legacy !== process.pid && isRunning({ name: NAME, pid: legacy, script, startedAt: '' })) throw new AlreadyRunningError(legacy);
  await writePidFile(dataDir, NAME);
  return () => removePidFile(dataDir, NAME);
}

async function readLegacyPid(dataDir: string): Promise<number | undefined> {
  try {
    const parsed = JSON.parse(await readFile(join(dataDir, 'supervisor.pid'), 'utf8')) as { pid?: unknown };
    return typeof parsed.pid === 'number' && Number.isInteger(parsed.pid) ? parsed.pid : undefined;
  } catch {
    return undefined;
  }
}
