// The bus app through its contract: the real app (proxy + its own client) runs in this process; test clients
// talk to it only with envelopes — a ping it answers, heartbeats it publishes, a shutdown request it obeys.
import { randomBytes } from 'node:crypto';
import { BusErrorCode, type BusClient, type IncomingMessage } from '@aico/bus';
import { createTestClient, nextValue, requestWhenRoutable } from '@aico/bus/testing';
import { HealthStatus, SystemTopics, type Heartbeat, type ServiceStopping } from '@aico/contracts';
import { KeyRing } from '@aico/keys';
import { runService, type RunningService } from '@aico/service';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { busAppConfigSchema } from './bus-app.config';
import { BusAppModule } from './bus-app.module';

describe('bus app contract', () => {
  let environment: ServiceTestEnvironment;
  let keys: KeyRing;
  let running: RunningService;
  const clients: BusClient[] = [];

  function client(identity: string, keyRing = keys): BusClient {
    // A stranger derives its own key from another master key, but knows the bus's public key.
    const curve = { ...keyRing.curveKeyPair(identity), serverPublicKey: keys.curveKeyPair('bus').publicKey };
    const bus = createTestClient(identity, keyRing, environment.endpoints, { curve });
    clients.push(bus);
    return bus;
  }

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('ipc', { AICO_BUS__HEARTBEAT_INTERVAL_MS: '200', AICO_LOG__LEVEL: 'warn', AICO_LOG__FILE: 'false' });
    keys = environment.keys;
    running = await runService({ identity: 'bus', module: BusAppModule, configSchema: busAppConfigSchema, env: environment.env, exitOnStop: false });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close({ drainTimeoutMs: 0 })));
    await running.stop('test finished');
    await environment.cleanup();
  });

  it('answers a ping addressed to the bus identity', async () => {
    const cli = client('cli');
    await cli.connect();
    const reply = await requestWhenRoutable((timeoutMs) => cli.request(SystemTopics.ping, { target: 'bus', sequence: 5n }, { timeoutMs }));
    expect(reply).toMatchObject({ service: 'bus', sequence: 5n });
  });

  it('publishes its own heartbeat with process and bus statistics', async () => {
    const watcher = client('monitor');
    const beat = nextValue<IncomingMessage>((deliver) => watcher.subscribe(SystemTopics.heartbeat, (m) => m.source === 'bus' && deliver(m)));
    await watcher.connect();
    const heartbeat = (await beat).payload as Heartbeat;
    expect(heartbeat).toMatchObject({ service: 'bus', status: HealthStatus.OK, intervalMs: 200 });
    expect(heartbeat.process!.pid).toBe(process.pid);
    expect(heartbeat.process!.rssBytes).toBeGreaterThan(0n);
    expect(heartbeat.bus!.published).toBeGreaterThan(0n);
  });

  it('refuses a client whose key was not derived from its master key', async () => {
    const stranger = client('gateway', new KeyRing(randomBytes(32), 'stranger'));
    await expect(stranger.connect()).rejects.toMatchObject({ code: BusErrorCode.AuthRejected });
  });

  it('stops gracefully on a shutdown request from the supervisor, announcing it first', async () => {
    const supervisor = client('supervisor');
    const stopping = nextValue<IncomingMessage>((deliver) => supervisor.subscribe(SystemTopics.serviceStopping, (m) => m.source === 'bus' && deliver(m)));
    await supervisor.connect();
    await supervisor.publish(SystemTopics.serviceShutdown, { service: 'bus', reason: 'contract test' });
    const announcement = (await stopping).payload as ServiceStopping;
    expect(announcement.reason).toBe('shutdown requested by supervisor: contract test');
    await running.stop('already stopping');
    expect(running.bus.state).toBe('closed');
  });
});
