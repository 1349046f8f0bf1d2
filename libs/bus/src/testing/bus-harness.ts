// Test harness: a real CURVE proxy in this process on a fresh tcp port or ipc path, a random master key, and
// connected BusClients whose log lines are captured for assertions. Used by lib tests and app contract tests.
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultTopicRegistry, type TopicRegistry } from '@aico/contracts';
import { KeyRing } from '@aico/keys';
import { captureLogger, type CapturedLog } from '@aico/logging';
import { BusClient, type BusClientOptions } from '../client/bus-client';
import { deriveAllowList, deriveClientKeys, deriveServerKeys } from '../client/bus-identity-keys';
import { BusProxy, type BusProxyOptions, type BusProxyStats } from '../proxy/bus-proxy';
import { freeTcpPort } from './free-port';

export type TestTransport = 'tcp' | 'ipc';
export const TEST_TRANSPORTS: readonly TestTransport[] = ['tcp', 'ipc'];

export async function testEndpoints(transport: TestTransport): Promise<{ publishEndpoint: string; subscribeEndpoint: string; cleanup: () => void }> {
  if (transport === 'tcp') {
    return { publishEndpoint: `tcp://127.0.0.1:${await freeTcpPort()}`, subscribeEndpoint: `tcp://127.0.0.1:${await freeTcpPort()}`, cleanup: () => undefined };
  }
  const base = join(tmpdir(), `aico-bus-${randomUUID().slice(0, 8)}`);
  return {
    publishEndpoint: `ipc://${base}-pub.sock`,
    subscribeEndpoint: `ipc://${base}-sub.sock`,
    cleanup: () => {
      rmSync(`${base}-pub.sock`, { force: true });
      rmSync(`${base}-sub.sock`, { force: true });
    },
  };
}

export type TestClient = BusClient & { logLines: CapturedLog[] };

/**
 * A BusClient for `identity` with keys derived from `keys` and its log captured in `logLines`, for a bus at
 * `endpoints` (an in-process TestBus, or a real bus process in contract and e2e tests). Not yet connected.
 */
export function createTestClient(
  identity: string,
  keys: KeyRing,
  endpoints: { readonly publishEndpoint: string; readonly subscribeEndpoint: string },
  overrides: Partial<BusClientOptions> = {},
): TestClient {
  const { logger, lines } = captureLogger(identity);
  const client = new BusClient({
    identity,
    publishEndpoint: endpoints.publishEndpoint,
    subscribeEndpoint: endpoints.subscribeEndpoint,
    curve: deriveClientKeys(keys, identity),
    registry: defaultTopicRegistry,
    logger,
    // Deadlines for the probe's round trip and for answers, not measures of speed: generous, since tests share 2
    // busy cores. A test of a deadline passes its own.
    readyTimeoutMs: 60_000,
    requestTimeoutMs: 30_000,
    ...overrides,
  });
  return Object.assign(client, { logLines: lines });
}

export interface TestBusOptions {
  readonly transport: TestTransport;
  readonly registry?: TopicRegistry;
  readonly keys?: KeyRing;
  /** How the proxy logs refusals (tests of that logging). */
  readonly proxy?: Pick<BusProxyOptions, 'refusalLogIntervalMs' | 'refusalLogMaxSources'>;
}

export class TestBus {
  readonly keys: KeyRing;
  readonly registry: TopicRegistry;
  readonly proxyLog = captureLogger('bus');
  private proxy: BusProxy | undefined;
  private readonly clients: BusClient[] = [];
  private endpoints: { publishEndpoint: string; subscribeEndpoint: string; cleanup: () => void } | undefined;

  constructor(readonly options: TestBusOptions) {
    this.keys = options.keys ?? new KeyRing(randomBytes(32), 'test');
    this.registry = options.registry ?? defaultTopicRegistry;
  }

  get publishEndpoint(): string {
    return this.requireEndpoints().publishEndpoint;
  }
  get subscribeEndpoint(): string {
    return this.requireEndpoints().subscribeEndpoint;
  }

  private requireEndpoints() {
    if (!this.endpoints) throw new Error('TestBus.start() has not run yet');
    return this.endpoints;
  }
  /** The running proxy's counters; after stopProxy(), its final ones. */
  get proxyStats() {
    return this.proxy?.stats ?? this.stoppedStats;
  }
  private stoppedStats: BusProxyStats | undefined;

  /**
   * Starts the proxy; after a stop(), starts it again on the same endpoints. A restart can find a tcp port taken
   * for a moment by another process's test, so EADDRINUSE is retried for up to two seconds.
   */
  async start(): Promise<this> {
    this.endpoints ??= await testEndpoints(this.options.transport);
    for (let attempt = 0; ; attempt++) {
      const proxy = new BusProxy({
        publishEndpoint: this.endpoints.publishEndpoint,
        subscribeEndpoint: this.endpoints.subscribeEndpoint,
        serverKeys: deriveServerKeys(this.keys),
        allowedKeys: deriveAllowList(this.keys),
        logger: this.proxyLog.logger,
        ...this.options.proxy,
      });
      try {
        await proxy.start();
        this.proxy = proxy;
        return this;
      } catch (error) {
        await proxy.stop().catch(() => undefined);
        if ((error as { code?: string }).code !== 'EADDRINUSE' || attempt >= 100) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  async stopProxy(): Promise<void> {
    if (!this.proxy) return;
    await this.proxy.stop();
    this.stoppedStats = this.proxy.stats;
    this.proxy = undefined;
  }

  /** A client for `identity`, not yet connected. */
  client(identity: string, overrides: Partial<BusClientOptions> = {}): TestClient {
    const client = createTestClient(identity, this.keys, this, { registry: this.registry, ...overrides });
    this.clients.push(client);
    return client;
  }

  async connected(identity: string, overrides: Partial<BusClientOptions> = {}): Promise<TestClient> {
    const client = this.client(identity, overrides);
    await client.connect();
    return client;
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((client) => client.close({ drainTimeoutMs: 0 })));
    await this.stopProxy();
    this.endpoints?.cleanup();
  }
}

/**
 * Resolves with the first value `register` delivers; rejects after `timeoutMs` so a broken test fails, not hangs.
 * The default is a generous deadline for a signal (tests share 2 busy cores), not an expectation of speed.
 */
export function nextValue<T>(register: (deliver: (value: T) => void) => unknown, timeoutMs = 30_000, what = 'value'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`No ${what} within ${timeoutMs} ms`)), timeoutMs);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/**
 * The first request after a responder subscribes may race that subscription through the proxy (ZeroMQ's
 * slow-joiner window): retry until it is answered. Each attempt waits twice as long as the one before (250 ms up to
 * 8 s), so a quick answer comes quickly and a slow machine still gets its answer; after `totalMs` it fails.
 */
export async function requestWhenRoutable<T>(send: (timeoutMs: number) => Promise<T>, totalMs = 120_000): Promise<T> {
  const deadline = Date.now() + totalMs;
  for (let timeoutMs = 250; ; timeoutMs = Math.min(timeoutMs * 2, 8_000)) {
    const last = Date.now() + timeoutMs >= deadline;
    try {
      return await send(last ? Math.max(deadline - Date.now(), 1) : timeoutMs);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'DEADLINE_EXCEEDED' || last) throw error;
    }
  }
}
