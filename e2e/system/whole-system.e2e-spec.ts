// The whole system as a user runs it, from a clean data directory: `aico setup` (non-interactive) → `aico start` →
// every app ready → a request through the gateway to storage and back → each app killed with SIGKILL in turn while
// writes go on, restarted by the supervisor, nothing acknowledged lost → `aico stop` leaves no process behind.
// Then the same start-to-stop run inside a network namespace without a network, proving aico works offline.
// Nothing here waits for time: each step waits for an answer (a CLI exit, a status reply, an acknowledged write)
// under a generous deadline, and each test's timeout fits its work on a loaded machine with a wide margin.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BusClient } from '@aico/bus';
import { requestWhenRoutable } from '@aico/bus/testing';
import { SupervisedAppState, SupervisorTopics } from '@aico/contracts';
import { StorageClient } from '@aico/storage-client';
import { GatewayClient } from '../support/gateway-client';
import { runAico } from '../support/aico-cli';
import { WORKSPACE_ROOT } from '../support/service-process';
import { storedCensus } from '../support/stored-events';
import { systemEnv } from '../support/system';
import { connectAsCli, eventually, isAlive } from '../support/system-bus';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

const PASSWORD = 'Whole-system-2026!';
/**
 * Setup, start, six SIGKILLs each waited out to a restart and 20 more acknowledged writes, a query of every write,
 * stop: about 40 s on an idle 2-core machine, a few minutes with both cores busy elsewhere.
 */
const WHOLE_SYSTEM_TEST_MS = 900_000;
/** The offline probe runs its own setup, start, login and stop (each CLI call has a 150 s limit in the probe). */
const OFFLINE_PROBE_MS = 600_000;
/** A state of the supervised system (an app restarted, writes going on again): its deadline. */
const STATE_TIMEOUT_MS = 300_000;

describe('the whole system, started and stopped like a user does', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let client: BusClient | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aico-system-'));
  });
  afterAll(async () => {
    await client?.close({ drainTimeoutMs: 0 });
    // `aico stop` waits up to 120 s for the supervisor.
    await runAico(['stop'], env);
    await rm(dir, { recursive: true, force: true });
  }, 180_000);

  it(
    'sets up, starts, serves, survives SIGKILL of every app under load, and stops without leftovers',
    async () => {
      const system = await systemEnv(join(dir, 'data'));
      env = system.env;
      const gatewayPort = system.gatewayPort;
      const setup = await runAico(['setup', '--password-stdin'], env, `${PASSWORD}\n`);
      expect(setup).toMatchObject({ code: 0 });

      const startedAt = performance.now();
      const start = await runAico(['start', '--detach'], env);
      expect(start).toMatchObject({ code: 0, stdout: expect.stringContaining('aico is running') });
      const coldStartMs = Math.round(performance.now() - startedAt);
      expect(await runAico(['start', '--detach'], env)).toMatchObject({ code: 75, stderr: expect.stringContaining('already running') });

      expect(await runAico(['users', 'add', 'ada', '--role', 'admin', '--password-stdin'], env, `${PASSWORD}\n`)).toMatchObject({ code: 0 });
      const api = new GatewayClient(`https://127.0.0.1:${gatewayPort}`, await readFile(join(env['AICO_DATA_DIR']!, 'gateway', 'tls-cert.pem'), 'utf8'));
      const login = await api.call('POST', '/api/v1/auth/login', { json: { username: 'ada', password: PASSWORD } });
      expect(login.status).toBe(200);
      const consent = await api.call('PUT', '/api/v1/consent/voice', { token: login.body.accessToken, json: { granted: true } });
      expect(consent).toMatchObject({ status: 200, body: { granted: true } });
      expect((await api.call('GET', '/api/v1/consent', { token: login.body.accessToken })).body.purposes).toEqual(
        expect.arrayContaining([expect.objectContaining({ purpose: 'voice', granted: true })]),
      );

      // The CLI's identity, with the master key the system runs on (keychain or development key file).
      client = await connectAsCli(env);
      // A request that went to a bus being killed is never answered: asked again, each attempt waiting twice as long
      // as the one before, so a slow machine gets its answer and a lost request costs little.
      const status = () => requestWhenRoutable((timeoutMs) => client!.request(SupervisorTopics.status, {}, { timeoutMs }), SIGNAL_TIMEOUT_MS);
      // A write waits out the restart of whatever was killed (storage, the bus); retried attempts keep their key.
      const writes = new StorageClient(client, { deadlineMs: 600_000, attemptTimeoutMs: 2_000, initialBackoffMs: 20, maxBackoffMs: 1_000 });
      const acknowledged: string[] = [];
      let running = true;
      const writers = Array.from({ length: 3 }, async (_, lane) => {
        for (let i = 0; running; i++) {
          const id = `w${lane}-${i}`;
          await writes.appendEvents([{ topic: 'e2e.system.load', messageId: id, payload: Buffer.from(id) }], { idempotencyKey: id });
          acknowledged.push(id);
        }
      });

      const memory: Record<string, number> = {};
      for (const name of ['storage', 'keys', 'gateway', 'scheduler', 'monitor', 'bus']) {
        const before = (await eventually(status, "the supervisor's status", STATE_TIMEOUT_MS)).apps.find((app) => app.name === name)!;
        expect(before.state).toBe(SupervisedAppState.READY);
        memory[name] = Number(before.rssBytes);
        const ackedBefore = acknowledged.length;
        process.kill(before.pid, 'SIGKILL');
        const after = await eventually(
          async () => {
            const app = (await status()).apps.find((candidate) => candidate.name === name)!;
            return app.state === SupervisedAppState.READY && app.pid !== before.pid ? app : undefined;
          },
          `${name} restarted and ready`,
          STATE_TIMEOUT_MS,
        );
        expect(after.restarts).toBe(before.restarts + 1);
        expect(after.lastExit).toBe('signal SIGKILL');
        // Writes go on after the restart.
        await eventually(async () => (acknowledged.length > ackedBefore + 20 ? true : undefined), `writes going on after ${name} restarted`, STATE_TIMEOUT_MS);
      }
      running = false;
      await Promise.all(writers);

      expect(await storedCensus(writes, 'e2e.system.load', acknowledged, 1000)).toEqual({ missing: [], twice: [] });
      expect(acknowledged.length).toBeGreaterThan(120);

      // Through the gateway again, after every app was killed once.
      const again = await api.call('POST', '/api/v1/auth/login', { json: { username: 'ada', password: PASSWORD } });
      expect(again.status).toBe(200);

      const final = await status();
      const pids = [...final.apps.map((app) => app.pid), final.pid];
      await client.close({ drainTimeoutMs: 0 });
      client = undefined;
      expect(await runAico(['stop'], env)).toMatchObject({ code: 0, stdout: expect.stringContaining('aico stopped') });
      expect(pids.filter(isAlive)).toEqual([]);
      expect(await runAico(['stop'], env)).toMatchObject({ code: 0, stdout: expect.stringContaining('not running') });
      process.stdout.write(`${JSON.stringify({ wholeSystem: { coldStartMs, idleMemoryBytes: memory, acknowledgedWrites: acknowledged.length } })}\n`);
    },
    WHOLE_SYSTEM_TEST_MS,
  );

  it(
    'runs offline: the same start, request and stop inside a network namespace with no network',
    () => {
      const probe = join(WORKSPACE_ROOT, 'dist/e2e-fixtures/e2e/fixtures/offline-probe.js');
      // A new network namespace has only a loopback device, down: bring it up and nothing else exists.
      const result = spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec "${process.execPath}" "${probe}"`], {
        env: {
          PATH: process.env['PATH'],
          AICO_TEST_SECRET_SERVICE: process.env['AICO_TEST_SECRET_SERVICE'] ?? '',
          ...(process.env['DBUS_SESSION_BUS_ADDRESS'] ? { DBUS_SESSION_BUS_ADDRESS: process.env['DBUS_SESSION_BUS_ADDRESS'] } : {}),
        },
        encoding: 'utf8',
        timeout: OFFLINE_PROBE_MS - 60_000,
      });
      expect(result.stderr).not.toMatch(/unshare failed/);
      const report = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
      // The supervisor and its eight apps (their pid files), none left after the stop.
      expect(report).toMatchObject({ internet: 'unreachable', started: true, login: 200, consent: 200, processes: 9, stopped: true, leftover: [] });
    },
    OFFLINE_PROBE_MS,
  );
});
