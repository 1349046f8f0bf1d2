// Storage throughput and latency over the real bus, with real processes (the bus and the storage service, built),
// printed as JSON: acknowledged writes per second one at a time, with many in flight (group commit), and batched
// (storage.state.write, 100 puts per request); reads p50/p99. Every write is acknowledged only after its commit
// (synchronous=FULL, WAL) and carries an idempotency key, as the storage client sends them. Pings of the storage
// process over the same bus (answered by its bus client, no database) are measured in the same run: issue 18's read
// targets are relative to them (64 reads in flight ≥ 0.7 of the ping rate, one read within 0.2 ms of a ping's p50).
import { startBuiltApp, percentile, machine, round } from '../support/bench-runtime';
import type { ChildProcess } from 'node:child_process';
import { createTestClient, requestWhenRoutable } from '@aico/bus/testing';
import { StorageTopics, SystemTopics } from '@aico/contracts';
import { createServiceTestEnvironment } from '@aico/service/testing';
import { StorageClient } from '@aico/storage-client';

const VALUE = Buffer.alloc(256, 0x61);

async function timed(count: number, concurrency: number, op: (i: number) => Promise<unknown>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await op(i);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { operations: count, concurrency, perSecond: Math.round(count / seconds), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

async function main(): Promise<void> {
  const environment = await createServiceTestEnvironment('ipc', { AICO_LOG__LEVEL: 'warn', AICO_LOG__FILE: 'false' });
  const children: ChildProcess[] = [];
  try {
    children.push(await startBuiltApp('bus', { ...environment.env, AICO_LOG__LEVEL: 'info' }));
    children.push(await startBuiltApp('storage', { ...environment.env, AICO_LOG__LEVEL: 'info' }));
    const bus = createTestClient('scheduler', environment.keys, environment.endpoints);
    await bus.connect();
    await requestWhenRoutable((timeoutMs) => bus.request(StorageTopics.databaseCheck, {}, { timeoutMs }));
    const storage = new StorageClient(bus);

    const single = await timed(2_000, 1, (i) => storage.putState('bench', `single-${i}`, VALUE));
    const concurrent = await timed(10_000, 64, (i) => storage.putState('bench', `concurrent-${i}`, VALUE));
    const BATCH = 100;
    const batched = await timed(200, 1, (i) =>
      storage.writeState(
        Array.from({ length: BATCH }, (_, j) => ({ operation: { case: 'put' as const, value: { namespace: 'bench', key: `batch-${i}-${j}`, value: VALUE } } })),
      ),
    );
    const reads = await timed(5_000, 1, (i) => storage.getState('bench', `concurrent-${(i * 7919) % 10_000}`));
    const readsConcurrent = await timed(20_000, 64, (i) => storage.getState('bench', `concurrent-${(i * 7919) % 10_000}`));
    const ping = (i: number) => bus.request(SystemTopics.ping, { target: 'storage', sequence: BigInt(i) });
    const pings = await timed(5_000, 1, ping);
    const pingsConcurrent = await timed(20_000, 64, ping);
    const check = await storage.checkDatabase();
    await bus.close({ drainTimeoutMs: 0 });

    console.log(
      JSON.stringify(
        {
          benchmark: 'storage over the bus (ipc, CURVE), real bus and storage processes',
          machine: machine(),
          valueBytes: VALUE.length,
          acknowledgedWrites: {
            oneAtATime: single,
            sixtyFourInFlight: concurrent,
            batched: { ...batched, putsPerRequest: BATCH, putsPerSecond: batched.perSecond * BATCH },
          },
          reads: { oneAtATime: reads, sixtyFourInFlight: readsConcurrent },
          busRoundTrips: { oneAtATime: pings, sixtyFourInFlight: pingsConcurrent },
          readsAgainstBus: {
            sixtyFourInFlightRatio: round(readsConcurrent.perSecond / pingsConcurrent.perSecond, 3),
            oneAtATimeP50ExtraMs: round(reads.p50Ms - pings.p50Ms, 3),
            targets: { sixtyFourInFlightRatio: 0.7, oneAtATimeP50ExtraMs: 0.2 },
          },
          database: { sizeBytes: Number(check.sizeBytes), walBytes: Number(check.walBytes), ok: check.ok },
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
