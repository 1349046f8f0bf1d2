// Finding 2 of issue 14, the CLI's part: the real system started with `aico start --detach`, its supervisor killed
// with SIGKILL; `aico stop` then stops whatever aico process is left (found by the pid files under <dataDir>/run)
// instead of saying "not running", and `aico start` cleans up the same way before it starts instead of failing on
// the ports. Apps that notice their supervisor's death stop by themselves; a stand-in process with a pid file of
// its own makes sure the orphan path runs either way. Also finding 14's CLI part: what the CLI starts inherits its
// umask, so the database is created 0600.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { isRunning, readPidFile, writePidFile, type PidFileEntry } from '@aico/pid-files';
import { RunningSystem } from '../support/system';

const PASSWORD = 'Orphans-are-2026-stopped';
/** Starting the whole system twice and stopping it: generous on a machine whose cores are busy elsewhere. */
const SLOW_TEST_MS = 600_000;
/** How long a killed process may take to disappear: a deadline for a signal, never a window. */
const GONE_DEADLINE_MS = 60_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntilGone(entries: readonly PidFileEntry[]): Promise<PidFileEntry[]> {
  const deadline = Date.now() + GONE_DEADLINE_MS;
  let left = entries.filter(isRunning);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = left.filter(isRunning);
  }
  return left;
}

/** The script a live process runs (argv[1]), read from the kernel: what an app's own pid file names. */
const scriptOf = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[1] ?? '';

interface SupervisorStatus {
  readonly supervisor: { name: string; pid: number }[] | null;
}

describe('aico stop and aico start after the supervisor was killed', () => {
  let system: RunningSystem | undefined;
  const standIns: ChildProcess[] = [];

  afterAll(async () => {
    for (const child of standIns) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await system?.stop();
  }, SLOW_TEST_MS);

  const dataDir = () => system!.env['AICO_DATA_DIR']!;

  /** Every aico process of this installation, as pid files: the supervisor's and each app's (written here if the app did not). */
  async function processes(): Promise<{ supervisor: PidFileEntry; apps: PidFileEntry[] }> {
    const status = JSON.parse((await system!.aico(['status', '--json'])).stdout) as SupervisorStatus;
    const supervisor = (await readPidFile(dataDir(), 'supervisor')) ?? legacySupervisor();
    const apps: PidFileEntry[] = [];
    for (const app of status.supervisor ?? []) {
      if (app.pid <= 0) continue;
      // Apps of this branch's merge partner write their own; written the same way here where they do not.
      const own = await readPidFile(dataDir(), app.name);
      apps.push(
        own?.pid === app.pid ? own : await writePidFile(dataDir(), app.name, { pid: app.pid, script: scriptOf(app.pid), startedAt: new Date().toISOString() }),
      );
    }
    return { supervisor, apps };
  }

  function legacySupervisor(): PidFileEntry {
    const { pid } = JSON.parse(readFileSync(join(dataDir(), 'supervisor.pid'), 'utf8')) as { pid: number };
    return { name: 'supervisor', pid, script: scriptOf(pid), startedAt: '' };
  }

  /** A process that is not the supervisor's child and never stops by itself: an orphan whatever the apps do. */
  async function standInOrphan(name: string): Promise<PidFileEntry> {
    const script = join(system!.dir, `${name}.js`);
    await writeFile(script, "setInterval(() => undefined, 60_000);\nconsole.log('ready');\n");
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    standIns.push(child);
    await new Promise<void>((resolve) => createInterface({ input: child.stdout }).once('line', () => resolve()));
    return writePidFile(dataDir(), name, { pid: child.pid!, script, startedAt: new Date().toISOString() });
  }

  async function killSupervisor(): Promise<PidFileEntry[]> {
    const { supervisor, apps } = await processes();
    expect(isRunning(supervisor)).toBe(true);
    expect(apps.length).toBeGreaterThanOrEqual(6);
    process.kill(supervisor.pid, 'SIGKILL');
    expect(await waitUntilGone([supervisor])).toEqual([]);
    return apps;
  }

  it(
    'stop leaves no aico process behind when the supervisor was killed, and start works again',
    async () => {
      system = await RunningSystem.start({ password: PASSWORD });
      // Finding 14: the database the apps made under the CLI's umask is the user's alone.
      expect((await stat(join(dataDir(), 'aico.db'))).mode & 0o077).toBe(0);

      const apps = await killSupervisor();
      const standIn = await standInOrphan('stand-in');
      const stop = await system.aico(['stop']);
      expect(stop.stdout).toMatch(/^aico stopped: \d+ apps? had been left running without a supervisor\.\n$/);
      expect(stop.stderr).toContain('The supervisor is not running: aico apps are running without their supervisor:');
      expect(stop.stderr).toContain(`stand-in (pid ${standIn.pid})`);
      expect([...apps, standIn].filter(isRunning)).toEqual([]);

      const start = await system.aico(['start', '--detach']);
      expect(start.stdout).toContain('aico is running');
    },
    SLOW_TEST_MS,
  );

  it(
    'start stops the apps a killed supervisor left behind before it starts, saying so',
    async () => {
      const apps = await killSupervisor();
      const standIn = await standInOrphan('stand-in-2');
      const start = await system!.aico(['start', '--detach']);
      expect(start.stderr).toContain('Before starting: aico apps are running without their supervisor:');
      expect(start.stderr).toMatch(/Cleaned up \d+ aico apps? left running without a supervisor\./);
      expect(start.stdout).toContain('aico is running');
      expect([...apps, standIn].filter(isRunning)).toEqual([]);

      const { apps: restarted } = await processes();
      expect(await system!.aico(['stop'])).toMatchObject({ stdout: 'aico stopped.\n' });
      expect(await waitUntilGone(restarted)).toEqual([]);
    },
    SLOW_TEST_MS,
  );
});
