// Durability with real processes: writers keep issuing acknowledged writes (event appends, each with its own
// idempotency key, retried by the storage client until acknowledged) while the storage process is stopped with
// SIGTERM and, separately, killed with SIGKILL, then restarted. Every acknowledged write must be in the database
// exactly once: none lost to the crash, none applied twice by a retry.
import { type BusClient } from '@aico/bus';
import { createTestClient, requestWhenRoutable } from '@aico/bus/testing';
import { StorageTopics } from '@aico/contracts';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { StorageClient } from '@aico/storage-client';
import { ServiceProcess } from '../support/service-process';

const BUS = 'dist/apps/bus/apps/bus/src/main.js';
const STORAGE = 'dist/apps/storage/apps/storage/src/main.js';
const WRITERS = 4;
const TOPIC = 'e2e.load.appended';

describe('storage durability under SIGTERM and SIGKILL', () => {
  let environment: ServiceTestEnvironment;
  const processes: ServiceProcess[] = [];
  let client: BusClient;

  const start = (name: string, script: string): ServiceProcess => {
    const child = new ServiceProcess(name, script, [], environment.env);
    processes.push(child);
    return child;
  };

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('tcp', { AICO_LOG__LEVEL: 'info', AICO_LOG__FILE: 'false', AICO_BUS__READY_TIMEOUT_MS: '20000' });
  });
  afterAll(async () => {
    await client?.close({ drainTimeoutMs: 0 });
    for (const child of processes) child.signal('SIGKILL');
    await environment.cleanup();
  });

  it('keeps every acknowledged write exactly once across a graceful stop and a kill -9', async () => {
    await start('bus', BUS).waitForMessage('bus ready');
    let storage = start('storage', STORAGE);
    await storage.waitForMessage('storage ready');

    client = createTestClient('scheduler', environment.keys, environment.endpoints);
    await client.connect();
    const writes = new StorageClient(client, { deadlineMs: 60_000, attemptTimeoutMs: 500, initialBackoffMs: 20, maxBackoffMs: 250 });
    await requestWhenRoutable((timeoutMs) => client.request(StorageTopics.databaseCheck, {}, { timeoutMs }));

    const acknowledged: string[] = [];
    const sequences = new Map<string, bigint>();
    let running = true;
    const writer = async (lane: number) => {
      for (let i = 0; running; i++) {
        const id = `w${lane}-${i}`;
        const reply = await writes.appendEvents([{ topic: TOPIC, messageId: id, payload: Buffer.from(id) }], { idempotencyKey: id });
        sequences.set(id, reply.sequences[0]!);
        acknowledged.push(id);
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, lane) => writer(lane));
    const untilAcknowledged = async (count: number) => {
      while (acknowledged.length < count) await new Promise((resolve) => setTimeout(resolve, 10));
    };

    // 1. A graceful stop in the middle of the load: intake stops, in-flight writes commit, the WAL is checkpointed.
    await untilAcknowledged(200);
    storage.signal('SIGTERM');
    expect(await storage.exited).toEqual({ code: 0, signal: null });
    expect(storage.lines.some((line) => line.msg === 'Database checkpointed and closed')).toBe(true);
    const afterStop = acknowledged.length;
    storage = start('storage', STORAGE);
    await storage.waitForMessage('storage ready');

    // 2. A kill -9 in the middle of the load: nothing acknowledged may be lost.
    await untilAcknowledged(afterStop + 200);
    storage.signal('SIGKILL');
    expect((await storage.exited).signal).toBe('SIGKILL');
    const atKill = acknowledged.length;
    storage = start('storage', STORAGE);
    await storage.waitForMessage('storage ready');
    await untilAcknowledged(atKill + 200);

    running = false;
    await Promise.all(writers);

    // A client whose acknowledgements were lost in the crash retries with the same keys: the receipts, committed
    // with the writes, answer with the original sequences and nothing is appended again.
    for (const id of acknowledged.slice(atKill - 20, atKill)) {
      const replay = await writes.appendEvents([{ topic: TOPIC, messageId: id, payload: Buffer.from(id) }], { idempotencyKey: id });
      expect(replay.sequences).toEqual([sequences.get(id)]);
    }

    const counts = new Map<string, number>();
    for (let after = 0n; ;) {
      const page = await writes.queryEvents({ topicPrefix: TOPIC, afterSequence: after, limit: 1000 });
      if (page.events.length === 0) break;
      for (const event of page.events) counts.set(event.messageId, (counts.get(event.messageId) ?? 0) + 1);
      after = page.events.at(-1)!.sequence;
    }
    const missing = acknowledged.filter((id) => !counts.has(id));
    const twice = [...counts].filter(([, count]) => count > 1).map(([id]) => id);
    expect({ acknowledged: acknowledged.length, missing, twice }).toEqual({ acknowledged: acknowledged.length, missing: [], twice: [] });
    // Nothing was stored that was not acknowledged in the end either (every writer waits for its acknowledgement).
    expect(counts.size).toBe(acknowledged.length);
    expect(await writes.checkDatabase()).toMatchObject({ ok: true, problems: [] });
    storage.signal('SIGTERM');
    expect(await storage.exited).toEqual({ code: 0, signal: null });
  });
});
