// Gateway throughput with real processes (bus, keys, storage, gateway; built) over HTTPS with keep-alive: requests/s
// and p50/p99 for GET /health/ready, for an authenticated round trip through the bus to storage (GET /consent:
// token check, session check (cached), consent records from storage), and WebSocket fan-out: bus events relayed to
// 100 connected clients, messages delivered per second. Printed as JSON.
import { login, startBuiltApp, percentile, machine } from '../support/bench-runtime';
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createTestClient, freeTcpPort, requestWhenRoutable } from '@aico/bus/testing';
import { LogLevel, StorageTopics, SystemTopics } from '@aico/contracts';
import { hashUserPassword } from '@aico/key-manager';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { StorageClient } from '@aico/storage-client';

const PASSWORD = 'Bench-password-2026!';

async function load(url: string, agent: Agent, ca: string, token: string | undefined, count: number, concurrency: number) {
  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const one = () =>
    new Promise<number>((resolve, reject) => {
      const req = request(url, { agent, ca, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const t0 = performance.now();
        const status = await one();
        latencies.push(performance.now() - t0);
        if (status !== 200) failures++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: count,
    concurrency,
    perSecond: Math.round(count / seconds),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    non200: failures,
  };
}

/** WebSocket fan-out: 100 clients subscribed to system.log.entry, 2,000 log entries published on the bus. */
async function measureFanOut(port: number, token: string, ca: string, environment: ServiceTestEnvironment) {
  const CLIENTS = 100;
  const EVENTS = 2_000;
  let delivered = 0;
  const sockets = await Promise.all(
    Array.from(
      { length: CLIENTS },
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const socket = new WebSocket(`wss://127.0.0.1:${port}/ws`, ['aico.v1', `aico.bearer.${token}`], { ca });
          socket.on('message', (data) => {
            const frame = JSON.parse(String(data)) as { type: string };
            if (frame.type === 'subscribed') resolve(socket);
            else if (frame.type === 'event') delivered++;
          });
          socket.on('open', () => socket.send(JSON.stringify({ type: 'subscribe', topic: 'system.log.entry' })));
          socket.on('error', reject);
        }),
    ),
  );
  const publisher = createTestClient('scheduler', environment.keys, environment.endpoints);
  await publisher.connect();
  const started = performance.now();
  for (let i = 0; i < EVENTS; i++) await publisher.publish(SystemTopics.logEntry, { service: 'bench', level: LogLevel.INFO, message: `event ${i}` });
  const expected = CLIENTS * EVENTS;
  const deadline = Date.now() + 60_000;
  while (delivered < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  const seconds = (performance.now() - started) / 1000;
  for (const socket of sockets) socket.close();
  await publisher.close({ drainTimeoutMs: 0 });
  return {
    clients: CLIENTS,
    busEvents: EVENTS,
    framesDelivered: delivered,
    framesExpected: expected,
    seconds: Number(seconds.toFixed(2)),
    messagesPerSecond: Math.round(delivered / seconds),
  };
}

async function main(): Promise<void> {
  const port = await freeTcpPort();
  const environment = await createServiceTestEnvironment('ipc', {
    AICO_LOG__LEVEL: 'warn',
    AICO_LOG__FILE: 'false',
    AICO_GATEWAY__PORT: String(port),
    AICO_GATEWAY__RATE_LIMIT_PER_MINUTE: '10000000',
    AICO_GATEWAY__WS_MAX_CONNECTIONS_PER_USER: '1000',
    AICO_LOG__BUS_LEVEL: 'warn',
  });
  const children: ChildProcess[] = [];
  const env = { ...environment.env, AICO_LOG__LEVEL: 'info' };
  try {
    children.push(await startBuiltApp('bus', env));
    children.push(...(await Promise.all([startBuiltApp('keys', env), startBuiltApp('storage', env)])));
    children.push(await startBuiltApp('gateway', env));
    const cli = createTestClient('cli', environment.keys, environment.endpoints);
    await cli.connect();
    await requestWhenRoutable((timeoutMs) => cli.request(StorageTopics.databaseCheck, {}, { timeoutMs }));
    await new StorageClient(cli).putRecord({
      kind: { case: 'user', value: { id: 'bench', username: 'bench', role: 'admin', passwordHash: await hashUserPassword(PASSWORD) } },
    });
    const ca = await readFile(join(environment.dir, 'gateway', 'tls-cert.pem'), 'utf8');
    const base = `https://127.0.0.1:${port}/api/v1`;
    const agent = new Agent({ keepAlive: true, maxSockets: 64, ca });
    const token = await login(base, agent, ca, 'bench', PASSWORD);
    // Ready once the gateway has heard every required app's heartbeat (they beat every 5 s); then a warm-up
    // (TLS handshakes, JIT) and the measured runs.
    for (let attempt = 0; (await load(`${base}/health/ready`, agent, ca, undefined, 1, 1)).non200 > 0; attempt++) {
      if (attempt > 200) throw new Error('the gateway never became ready');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await load(`${base}/health/ready`, agent, ca, undefined, 500, 32);
    const ready = await load(`${base}/health/ready`, agent, ca, undefined, 5_000, 32);
    const throughStorage = await load(`${base}/consent`, agent, ca, token, 3_000, 32);

    const webSocketFanOut = await measureFanOut(port, token, ca, environment);
    await cli.close({ drainTimeoutMs: 0 });
    agent.destroy();

    console.log(
      JSON.stringify(
        {
          benchmark: 'gateway over HTTPS (keep-alive, 32 concurrent) with real bus, keys, storage and gateway processes',
          machine: machine(),
          healthReady: ready,
          authenticatedRoundTripToStorage: { route: 'GET /api/v1/consent', ...throughStorage },
          webSocketFanOut,
        },
        null,
        2,
      ),
    );
  } finally {
    for (const child of children.reverse()) child.kill('SIGTERM');
    await environment.cleanup();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
