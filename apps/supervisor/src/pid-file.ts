// One supervisor per data directory: `<dataDir>/supervisor.pid` names the running one. A file whose process is gone
// (a crash, a reboot) is stale and replaced; `aico stop` and `aico status` read it.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface PidFileContent {
  readonly pid: number;
  readonly startedAt: string;
}

export const pidFilePath = (dataDir: string) => join(dataDir, 'supervisor.pid');

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else; that is alive too.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function readPidFile(dataDir: string): Promise<PidFileContent | undefined> {
  try {
    const parsed = JSON.parse(await readFile(pidFilePath(dataDir), 'utf8')) as Partial<PidFileContent>;
    return typeof parsed.pid === 'number' && typeof parsed.startedAt === 'string' ? { pid: parsed.pid, startedAt: parsed.startedAt } : undefined;
  } catch {
    return undefined;
  }
}

export class AlreadyRunningError extends Error {
  constructor(readonly pid: number) {
    super(`aico is already running for this data directory (supervisor pid ${pid}); run "aico stop" first.`);
  }
}

export async function acquirePidFile(dataDir: string): Promise<() => Promise<void>> {
  const existing = await readPidFile(dataDir);
  if (existing && existing.pid !== process.pid && isAlive(existing.pid)) throw new AlreadyRunningError(existing.pid);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await writeFile(pidFilePath(dataDir), `${JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() } satisfies PidFileContent)}\n`, { mode: 0o600 });
  return async () => {
    const current = await readPidFile(dataDir);
    if (current?.pid === process.pid) await rm(pidFilePath(dataDir), { force: true });
  };
}
