// The real bus process and two real service processes talking through it over tcp with CURVE; the bus is
// restarted under them and they carry on; a shutdown request and SIGTERM stop everything cleanly.
import { join } from 'node:path';
import { type BusClient } from '@aico/bus';
import { createTestClient, nextValue } from '@aico/bus/testing';
import { SystemTopics } from '@aico/contracts';
import type { KeyRing } from '@aico/keys';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { ServiceProcess } from '../support/service-process';
import { LOAD_TOLERANT_ENV, SIGNAL_TIMEOUT_MS } from '../support/timing';

const BUS = 'dist/apps/bus/apps/bus/src/main.js';
const PEER = 'dist/e2e-fixtures/e2e/fixtures/ping-peer.service.js';

// Three process starts, a bus restart and three stops: seconds when idle, minutes at worst on a loaded machine.
jest.setTimeout(600_000);

describe('bus with real processes', () => {
  let environment: ServiceTestEnvironment;
  let env: NodeJS.ProcessEnv;
  let keys: KeyRing;
  const processes: ServiceProcess[] = [];
  let observer: BusClient | undefined;

  const endpoints = () => environment.endpoints;

  function start(name: string, script: string, args: string[] = []): ServiceProcess {
    const child = new ServiceProcess(name, script, args, env);
    processes.push(child);
    return child;
  }

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('tcp', { ...LOAD_TOLERANT_ENV, AICO_BUS__HEARTBEAT_INTERVAL_MS: '250', AICO_LOG__LEVEL: 'info' });
    ({ env, keys } = environment);
  });

  afterAll(async () => {
    await observer?.close({ drainTimeoutMs: 0 });
    for (const child of processes) child.signal('SIGKILL');
    await environment.cleanup();
  });

  it('carries requests between two services, survives a bus restart, and stops cleanly', async () => {
    const bus = start('bus', BUS);
    await bus.waitForMessage('bus ready');

    // A third party on the bus watches the services announce themselves and beat.
    observer = createTestClient('cli', keys, endpoints());
    const ready = new Map<string, number>();
    const bothReady = nextValue<void>(
      (deliver) =>
        observer!.subscribe(SystemTopics.serviceReady, (message) => {
          ready.set(message.payload.service, message.payload.pid);
          if (ready.has('scheduler') && ready.has('monitor')) deliver();
        }),
      SIGNAL_TIMEOUT_MS,
      'ready announcements from both services',
    );
    const beats = new Set<string>();
    const bothBeating = nextValue<void>(
      (deliver) =>
        observer!.subscribe(SystemTopics.heartbeat, (message) => {
          beats.add(message.payload.service);
          if (beats.has('scheduler') && beats.has('monitor')) deliver();
        }),
      SIGNAL_TIMEOUT_MS,
      'heartbeats from both services',
    );
    await observer.connect();

    const scheduler = start('scheduler', PEER, ['scheduler', 'monitor']);
    const monitor = start('monitor', PEER, ['monitor', 'scheduler']);
    await bothReady;
    expect(ready.get('scheduler')).toBe(scheduler.pid);
    expect(ready.get('monitor')).toBe(monitor.pid);
    await bothBeating;

    // The two services reach each other through the bus, in both directions.
    const schedulerHeard = await scheduler.waitFor((l) => l.msg === 'peer answered' && l['peer'] === 'monitor', SIGNAL_TIMEOUT_MS, 'an answer from monitor');
    await monitor.waitFor((l) => l.msg === 'peer answered' && l['peer'] === 'scheduler', SIGNAL_TIMEOUT_MS, 'an answer from scheduler');
    expect(schedulerHeard['rttMs']).toEqual(expect.any(Number));

    // Restart the bus process under the running services.
    const mark = scheduler.lines.length;
    expect(await bus.stop()).toEqual({ code: 0, signal: null });
    await scheduler.waitFor((l) => String(l.msg).startsWith('Lost the bus connection'), SIGNAL_TIMEOUT_MS, 'the lost connection', mark);
    const restarted = start('bus (restarted)', BUS);
    await restarted.waitForMessage('bus ready');
    await scheduler.waitForMessage('Bus connection restored', SIGNAL_TIMEOUT_MS, mark);
    const afterRestart = scheduler.lines.length;
    await scheduler.waitFor((l) => l.msg === 'peer answered' && l['peer'] === 'monitor', SIGNAL_TIMEOUT_MS, 'an answer after the restart', afterRestart);

    // A shutdown request over the bus stops one service; SIGTERM stops the others. All exit 0.
    await observer.close();
    observer = undefined;
    const supervisor = createTestClient('supervisor', keys, endpoints());
    await supervisor.connect();
    await supervisor.publish(SystemTopics.serviceShutdown, { service: 'scheduler', reason: 'e2e' });
    expect(await scheduler.exited).toEqual({ code: 0, signal: null });
    await supervisor.close();
    expect(scheduler.lines.some((l) => l.msg === 'scheduler stopped' && String(l['reason']).includes('shutdown requested by supervisor'))).toBe(true);
    expect(await monitor.stop()).toEqual({ code: 0, signal: null });
    expect(await restarted.stop()).toEqual({ code: 0, signal: null });
  });

  it('refuses to start without a master key in the production profile, saying what to do', async () => {
    const child = new ServiceProcess('bus (no key)', BUS, [], { ...env, AICO_MASTER_KEY_FILE: join(environment.dir, 'missing.key') });
    processes.push(child);
    const exit = await child.exited;
    expect(exit.code).toBe(78);
    const fatal = child.lines.find((line) => line.level === 60);
    expect(fatal?.msg).toContain('AICO_MASTER_KEY_FILE');
  });
});
