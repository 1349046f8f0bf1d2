// The Supervisor with stand-in apps (small node scripts that only sit there) and a real CURVE proxy in this process:
// what makes an app ready is its identity announcing itself on the bus, never a line of its output.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { BusClient, BusProxy, deriveAllowList, deriveClientKeys, deriveServerKeys } from '@aico/bus';
import { defaultTopicRegistry, SupervisedAppState, SystemTopics } from '@aico/contracts';
import { KeyRing } from '@aico/keys';
import { captureLogger } from '@aico/logging';
import { appEntryPoint } from './build-layout';
import { Supervisor } from './supervisor';
import { consoleLogPath, supervisorConfigSchema } from './supervisor.config';

/** A deadline for a signal on 2 busy cores, not an expectation of speed. */
const SIGNAL_TIMEOUT_MS = 60_000;

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + SIGNAL_TIMEOUT_MS;
  for (;;) {
    const value = await Promise.resolve(probe()).catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${SIGNAL_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Supervisor readiness', () => {
  let dir: string;
  let keys: KeyRing;
  let supervisor: Supervisor | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aico-supervisor-'));
    keys = new KeyRing(randomBytes(32), 'test');
  });
  afterEach(async () => {
    await supervisor?.stop('test over');
    supervisor = undefined;
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  /** Stand-in builds under `<dir>/apps`: each writes `lines` to its stdout, then sits until stopped. */
  async function supervise(scripts: Record<string, readonly string[]>, apps: readonly string[]) {
    const appsDir = join(dir, 'apps');
    for (const [name, lines] of Object.entries(scripts)) {
      const script = appEntryPoint(appsDir, name);
      await mkdir(dirname(script), { recursive: true });
      await writeFile(script, `${lines.map((line) => `console.log(${JSON.stringify(line)});`).join('\n')}\nsetInterval(() => {}, 1000);\n`);
    }
    const bus = { publishEndpoint: `ipc://${join(dir, 'pub.sock')}`, subscribeEndpoint: `ipc://${join(dir, 'sub.sock')}` };
    const config = supervisorConfigSchema.parse({ dataDir: join(dir, 'data'), bus, supervisor: { apps, appsDir, forwardOutput: false } });
    supervisor = new Supervisor(config, keys, captureLogger('supervisor').logger, { PATH: process.env['PATH'] });
    const started = supervisor.start();
    started.catch(() => undefined);
    return { config, bus, started, state: (name: string) => supervisor!.status().apps.find((app) => app.name === name)! };
  }

  /** The proxy the real bus app would run, and a client speaking as `identity`, in this process. */
  async function proxyWith(endpoints: { publishEndpoint: string; subscribeEndpoint: string }, identity: string): Promise<BusClient> {
    const { logger } = captureLogger('bus');
    const proxy = new BusProxy({ ...endpoints, serverKeys: deriveServerKeys(keys), allowedKeys: deriveAllowList(keys), logger });
    await proxy.start();
    cleanups.push(() => proxy.stop());
    return connected(endpoints, identity);
  }

  async function connected(endpoints: { publishEndpoint: string; subscribeEndpoint: string }, identity: string): Promise<BusClient> {
    const { logger } = captureLogger(identity);
    const client = new BusClient({
      identity,
      ...endpoints,
      curve: deriveClientKeys(keys, identity),
      registry: defaultTopicRegistry,
      logger,
      readyTimeoutMs: SIGNAL_TIMEOUT_MS,
    });
    cleanups.push(() => client.close({ drainTimeoutMs: 0 }));
    await client.connect();
    return client;
  }

  it("does not take the bus app's ready log line for readiness: only the bus answering as `bus` makes it ready", async () => {
    const { config, state } = await supervise({ bus: ['{"level":30,"service":"bus","msg":"bus ready"}'] }, ['keys']);
    // The supervisor copies each line into the console log as it reads it: the line has been seen.
    await until(
      async () => ((await readFile(consoleLogPath(config.dataDir, 'bus'), 'utf8')).includes('bus ready') ? true : undefined),
      'the ready line in the console log',
    );
    expect(state('bus').state).toBe(SupervisedAppState.STARTING);
    expect(state('keys').state).toBe(SupervisedAppState.STOPPED);
  });

  it('takes the bus answering as `bus`, then each app announcing itself with the pid of its process, for readiness', async () => {
    const { bus, started, state } = await supervise({ bus: [], keys: ['{"level":30,"service":"keys","msg":"keys ready"}'] }, ['keys']);
    // The stand-in bus app is a sitting process; the proxy and the `bus` identity that answers the supervisor's ping
    // are here.
    const busIdentity = await proxyWith(bus, 'bus');
    await until(() => (state('bus').state === SupervisedAppState.READY ? true : undefined), 'the bus app ready');
    expect(state('bus').pid).toBeGreaterThan(0);
    const keysPid = await until(
      () => (state('keys').state === SupervisedAppState.STARTING && state('keys').pid ? state('keys').pid : undefined),
      'keys started',
    );
    await busIdentity.close({ drainTimeoutMs: 0 });
    const keysIdentity = await connected(bus, 'keys');
    // Another process's announcement (an old keys) does not count; this one's does.
    await keysIdentity.publish(SystemTopics.serviceReady, { service: 'keys', instanceId: 'old', pid: keysPid + 1_000_000 });
    await keysIdentity.publish(SystemTopics.serviceReady, { service: 'keys', instanceId: 'now', pid: keysPid });
    await started;
    expect(state('keys').state).toBe(SupervisedAppState.READY);
    expect(supervisor!.status().allReady).toBe(true);
  });
});
