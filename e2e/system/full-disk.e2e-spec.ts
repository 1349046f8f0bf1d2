// The whole supervised system on a disk that fills up under load (issue 14, finding 2): the data directory is a small
// tmpfs (or, where mounting is not permitted, every process gets a file-size limit), the system is set up and
// started with the built `aico` command, and the disk is filled while writers append through storage and logins
// fail at the gateway. Every process keeps running with its pid, storage answers STORAGE_DISK_FULL, the logs degrade
// to counting what they cannot write, nothing acknowledged is lost, and once space is freed writes and logs work
// again. Then the supervisor is killed with SIGKILL, and every app notices and stops by itself.
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BusClient } from '@aico/bus';
import { SupervisedAppState, SupervisorTopics, SystemTopics } from '@aico/contracts';
import { readPidFiles } from '@aico/pid-files';
import { StorageClient } from '@aico/storage-client';
import { GatewayClient } from '../support/gateway-client';
import { SmallDisk } from '../support/small-disk';
import { storedCensus } from '../support/stored-events';
import { connectAsCli, eventually, isAlive } from '../support/system-bus';
import { RunningSystem } from '../support/system';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

const PASSWORD = 'Full-disk-2026!';
const APPS = ['bus', 'keys', 'storage', 'scheduler', 'monitor', 'models', 'conversation', 'gateway'];
const DISK_BYTES = 96 * 1024 * 1024;

interface LogEntrySeen {
  readonly service: string;
  readonly message: string;
}

describe('the whole system on a full disk', () => {
  const began = performance.now();
  let base: string;
  let dataDir: string;
  let disk: SmallDisk;
  let system: RunningSystem | undefined;
  let client: BusClient | undefined;
  const everyPid = new Set<number>();

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'aico-full-disk-'));
    dataDir = join(base, 'data');
    await mkdir(dataDir, { mode: 0o700 });
    disk = SmallDisk.mount(dataDir, DISK_BYTES);
  });

  afterAll(async () => {
    await client?.close({ drainTimeoutMs: 0 });
    await disk.free();
    await system?.stop();
    // Whatever a failed run left behind (orphans of a dead supervisor) must not outlive the test.
    for (const pid of everyPid) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await eventually(async () => ([...everyPid].some(isAlive) ? undefined : true), 'leftover processes to end', 30_000).catch(() => undefined);
    disk.unmount();
    await rm(base, { recursive: true, force: true });
    process.stdout.write(`${JSON.stringify({ fullDisk: { disk: disk.kind, totalMs: Math.round(performance.now() - began) } })}\n`);
  }, 240_000);

  it('keeps every process up, answers STORAGE_DISK_FULL, loses nothing acknowledged, and works again once space is freed', async () => {
    const phases: Record<string, number> = {};
    const mark = (phase: string) => (phases[phase] = Math.round(performance.now() - began));
    system = await RunningSystem.start({
      password: PASSWORD,
      users: [{ username: 'ada', password: PASSWORD, role: 'admin' }],
      env: {
        AICO_DATA_DIR: dataDir,
        // A log file that failed while the disk was full is tried again at the next line, not a second later: the
        // lines of the supervisor's death below come right after space was freed, and must not fall in that second.
        AICO_LOG__RETRY_INTERVAL_MS: '0',
      },
    });
    mark('started');
    client = await connectAsCli(system.env);
    const bus = client;
    const status = () => bus.request(SupervisorTopics.status, {}, { timeoutMs: SIGNAL_TIMEOUT_MS });
    const before = await status();
    expect(before.allReady).toBe(true);
    const pids: Record<string, number> = { supervisor: before.pid, ...Object.fromEntries(before.apps.map((app) => [app.name, app.pid])) };
    for (const pid of Object.values(pids)) everyPid.add(pid);
    expect(Object.keys(pids).sort()).toEqual([...APPS, 'supervisor'].sort());

    const logEntries: LogEntrySeen[] = [];
    bus.subscribe(SystemTopics.logEntry, (event) => void logEntries.push({ service: event.payload.service, message: event.payload.message }));
    const api = new GatewayClient(system.baseUrl, await readFile(join(dataDir, 'gateway', 'tls-cert.pem'), 'utf8'));
    const failedLogin = async () => (await api.call('POST', '/api/v1/auth/login', { json: { username: 'ada', password: 'not the password' } })).status;
    // A WebSocket connection makes the gateway log a line, and unlike logins it is not rate-limited.
    const { accessToken } = (await api.call('POST', '/api/v1/auth/login', { json: { username: 'ada', password: PASSWORD } })).body as { accessToken: string };
    const connectOnce = () =>
      new Promise<void>((resolve, reject) => {
        const socket = api.websocket(accessToken);
        socket.once('open', () => (socket.close(), resolve()));
        socket.once('error', reject);
      });

    // Writers append through storage the whole time; a write is counted only once storage acknowledged it.
    const store = new StorageClient(bus, { deadlineMs: 30_000, attemptTimeoutMs: 2_000 });
    const acknowledged: string[] = [];
    const refusals = new Map<string, number>();
    let writing = true;
    const writers = Array.from({ length: 3 }, async (_, lane) => {
      for (let i = 0; writing; i++) {
        const id = `w${lane}-${i}`;
        try {
          await store.appendEvents([{ topic: 'e2e.fulldisk.load', messageId: id, payload: Buffer.alloc(2048, lane) }], { idempotencyKey: id });
          acknowledged.push(id);
        } catch (error) {
          const code = String((error as { code?: unknown }).code);
          refusals.set(code, (refusals.get(code) ?? 0) + 1);
          // Pacing for a load generator, not a wait for a condition: refused writes come back at once.
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    });
    await eventually(async () => (acknowledged.length >= 30 ? true : undefined), 'writes acknowledged before the disk fills');

    mark('loaded');
    await disk.fill(Object.values(pids));
    mark('filled');
    const ackedWhenFull = acknowledged.length;
    // Failed logins log warnings in the gateway (and try to reach storage): every one is answered.
    const loginStatuses: number[] = [];
    for (let i = 0; i < 20; i++) loginStatuses.push(await failedLogin());
    expect(loginStatuses.every((code) => code >= 400 && code < 600)).toBe(true);
    await eventually(
      async () => ((refusals.get('STORAGE_DISK_FULL') ?? 0) + (disk.kind === 'fsize' ? (refusals.get('STORAGE_IO') ?? 0) : 0) >= 3 ? true : undefined),
      'storage refusing writes on the full disk',
    );
    // The apps' log files cannot take their lines: they say so (on the bus, which is not on the disk) and go on.
    await eventually(
      async () =>
        logEntries.some((entry) => entry.service === 'gateway' && /cannot be written/.test(entry.message)) ? true : (await failedLogin(), undefined),
      'the gateway saying its log file cannot be written',
    );

    mark('degraded');
    const full = await status();
    expect(full.pid).toBe(pids.supervisor);
    for (const app of full.apps)
      expect({ name: app.name, pid: app.pid, state: app.state, restarts: app.restarts }).toEqual({
        name: app.name,
        pid: pids[app.name],
        state: SupervisedAppState.READY,
        restarts: 0,
      });
    expect(Object.values(pids).filter((pid) => !isAlive(pid))).toEqual([]);
    // A file-size limit reaches SQLite as a write error without errno (STORAGE_IO); a full disk is SQLITE_FULL.
    expect((refusals.get('STORAGE_DISK_FULL') ?? 0) + (disk.kind === 'fsize' ? (refusals.get('STORAGE_IO') ?? 0) : 0)).toBeGreaterThan(0);

    await disk.free();
    mark('freed');
    // A write goes through again, and the logs are written again: the gateway's own file and its console log.
    await eventually(
      async () => (
        await store.appendEvents([{ topic: 'e2e.fulldisk.after', messageId: 'after', payload: Buffer.from('after') }], { idempotencyKey: 'after' }),
        true
      ),
      'a write after space was freed',
    );
    mark('written');
    await eventually(async () => {
      await connectOnce();
      const logs = join(dataDir, 'logs');
      const files = (await readdir(logs)).filter((name) => /^gateway\.\d+\.log$/.test(name));
      const structured = (await Promise.all(files.map((name) => readFile(join(logs, name), 'utf8')))).join('');
      const consoleLog = await readFile(join(logs, 'gateway.console.log'), 'utf8');
      return /writable again/.test(structured) && /writable again/.test(consoleLog) ? true : undefined;
    }, 'the gateway writing its logs again');
    mark('recovered');
    writing = false;
    await Promise.all(writers);
    expect(acknowledged.length).toBeGreaterThan(ackedWhenFull);

    expect(await storedCensus(store, 'e2e.fulldisk.load', acknowledged)).toEqual({ missing: [], twice: [] });

    const after = await status();
    expect(after.pid).toBe(pids.supervisor);
    expect(after.apps.map((app) => [app.name, app.pid, app.restarts])).toEqual(before.apps.map((app) => [app.name, app.pid, 0]));
    process.stdout.write(
      `${JSON.stringify({ fullDisk: { disk: disk.kind, acknowledged: acknowledged.length, refusals: Object.fromEntries(refusals), loginStatuses: [...new Set(loginStatuses)], phases } })}\n`,
    );
  }, 300_000);

  it('every app stops by itself when the supervisor is killed, and removes its pid file', async () => {
    const bus = client!;
    const current = await bus.request(SupervisorTopics.status, {}, { timeoutMs: SIGNAL_TIMEOUT_MS });
    const appPids = current.apps.map((app) => app.pid);
    for (const pid of [...appPids, current.pid]) everyPid.add(pid);
    // Every process has its pid file in <dataDir>/run, naming the pid the supervisor reports.
    const files = await readPidFiles(dataDir);
    expect(Object.fromEntries(files.map((entry) => [entry.name, entry.pid]))).toEqual({
      supervisor: current.pid,
      ...Object.fromEntries(current.apps.map((app) => [app.name, app.pid])),
    });
    await bus.close({ drainTimeoutMs: 0 });
    client = undefined;

    process.kill(current.pid, 'SIGKILL');
    await eventually(async () => (appPids.some(isAlive) ? undefined : true), 'every app to exit after its supervisor died', 120_000);
    expect((await readPidFiles(dataDir)).map((entry) => entry.name)).toEqual(['supervisor']);
    // Each stopped the graceful way, not by crashing on its broken stdout.
    const logs = join(dataDir, 'logs');
    const names = await readdir(logs);
    for (const app of APPS) {
      const text = (
        await Promise.all(names.filter((name) => new RegExp(`^${app}\\.\\d+\\.log$`).test(name)).map((name) => readFile(join(logs, name), 'utf8')))
      ).join('');
      expect({
        app,
        gone: text.includes('"msg":"The supervisor is gone; stopping"'),
        stopped: text.includes(`"msg":"${app} stopped"`),
        crashed: /Uncaught exception|Unhandled promise rejection/.test(text),
      }).toEqual({ app, gone: true, stopped: true, crashed: false });
    }
    // Finding 14: nothing aico made in the data directory (logs, rotated logs, console logs, pid files, the
    // database, certificates) can be read by anyone but the user.
    const open: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.name === 'filler.bin') continue;
        const mode = (await stat(path)).mode & 0o777;
        if ((mode & 0o077) !== 0) open.push(`${path.slice(dataDir.length + 1)} 0${mode.toString(8)}`);
        if (entry.isDirectory()) await walk(path);
      }
    };
    await walk(dataDir);
    expect(open).toEqual([]);
  }, 180_000);
});
