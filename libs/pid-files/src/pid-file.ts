// Pid files of aico processes in `<dataDir>/run/`: `supervisor.pid` for the supervisor, `<app>.pid` for each app
// it runs. They let `aico stop`/`aico start` find a running supervisor and, when the supervisor is gone, the apps it
// left behind (orphans holding ports), and stop those without ever signalling an unrelated process that happens to
// have reused a pid: a pid counts only while the process still runs the script its file names.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface PidFileEntry {
  /** `supervisor` or the app's name. */
  readonly name: string;
  readonly pid: number;
  /** The script the process runs (process.argv[1]); checked against the live process before it is signalled. */
  readonly script: string;
  readonly startedAt: string;
}

/** The supervisor's pid file name: `<dataDir>/run/supervisor.pid`. */
export const SUPERVISOR_PID_NAME = 'supervisor';

export const runDir = (dataDir: string): string => join(dataDir, 'run');
export const pidFilePath = (dataDir: string, name: string): string => join(runDir(dataDir), `${name}.pid`);

const NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else, which counts too). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the entry's process is alive and still the program the file names. On Linux the live command line must
 * contain the script; elsewhere (no /proc) a live pid is taken at its word.
 */
export function isRunning(entry: PidFileEntry): boolean {
  if (!isAlive(entry.pid)) return false;
  if (process.platform !== 'linux') return true;
  try {
    return readFileSync(`/proc/${entry.pid}/cmdline`, 'utf8').split('\0').includes(entry.script);
  } catch {
    // /proc not mounted or the process just ended: trust the pid only while it lives.
    return isAlive(entry.pid);
  }
}

function parse(text: string, name: string): PidFileEntry | undefined {
  try {
    const value = JSON.parse(text) as Partial<PidFileEntry>;
    if (typeof value.pid !== 'number' || !Number.isInteger(value.pid) || value.pid <= 0) return undefined;
    if (typeof value.script !== 'string' || typeof value.startedAt !== 'string') return undefined;
    return { name, pid: value.pid, script: value.script, startedAt: value.startedAt };
  } catch {
    return undefined;
  }
}

/** Writes this process's pid file (atomically: temporary file, then rename) and returns the entry. */
export async function writePidFile(
  dataDir: string,
  name: string,
  entry: Omit<PidFileEntry, 'name'> = { pid: process.pid, script: process.argv[1] ?? '', startedAt: new Date().toISOString() },
): Promise<PidFileEntry> {
  if (!NAME.test(name)) throw new Error(`Not a valid pid file name: "${name}".`);
  await mkdir(runDir(dataDir), { recursive: true, mode: 0o700 });
  const path = pidFilePath(dataDir, name);
  const temporary = `${path}.${entry.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify({ pid: entry.pid, script: entry.script, startedAt: entry.startedAt })}\n`, { mode: 0o600 });
  await rename(temporary, path);
  return { name, ...entry };
}

/** The entry in `<name>.pid`, whether or not its process still runs; undefined when absent or unreadable. */
export async function readPidFile(dataDir: string, name: string): Promise<PidFileEntry | undefined> {
  try {
    return parse(await readFile(pidFilePath(dataDir, name), 'utf8'), name);
  } catch {
    return undefined;
  }
}

/** Every pid file in the run directory (unreadable or malformed ones are skipped). */
export async function readPidFiles(dataDir: string): Promise<PidFileEntry[]> {
  let names: string[];
  try {
    names = await readdir(runDir(dataDir));
  } catch {
    return [];
  }
  const entries = await Promise.all(names.filter((file) => file.endsWith('.pid')).map((file) => readPidFile(dataDir, file.slice(0, -'.pid'.length))));
  return entries.filter((entry): entry is PidFileEntry => entry !== undefined);
}

/** Removes `<name>.pid` if it still names `pid` (another process may have replaced it meanwhile). */
export async function removePidFile(dataDir: string, name: string, pid: number = process.pid): Promise<void> {
  const current = await readPidFile(dataDir, name);
  if (current === undefined || current.pid === pid) await rm(pidFilePath(dataDir, name), { force: true });
}

/**
 * The supervisor of an earlier aico version kept `{ pid, startedAt }` in `<dataDir>/supervisor.pid`, without the
 * script: the entry names `script` (this build's supervisor), so isRunning() checks the live process against it.
 */
export async function readLegacySupervisorPidFile(dataDir: string, script: string): Promise<PidFileEntry | undefined> {
  try {
    const value = JSON.parse(await readFile(join(dataDir, `${SUPERVISOR_PID_NAME}.pid`), 'utf8')) as { pid?: unknown; startedAt?: unknown };
    if (typeof value.pid !== 'number' || !Number.isInteger(value.pid) || value.pid <= 0) return undefined;
    return { name: SUPERVISOR_PID_NAME, pid: value.pid, script, startedAt: typeof value.startedAt === 'string' ? value.startedAt : '' };
  } catch {
    return undefined;
  }
}
