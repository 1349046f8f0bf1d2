// The storage client against a scripted responder on a real CURVE bus: it retries what may succeed later with
// one idempotency key, gives up at its deadline naming that key, and passes domain errors straight through.
import { RpcException } from '@nestjs/microservices';
import { requestWhenRoutable, TestBus, type TestClient } from '@aico/bus/testing';
import { StorageErrorCode, StorageTopics } from '@aico/contracts';
import { StorageClient, StorageClientErrorCode } from './storage-client';

describe('StorageClient', () => {
  let bus: TestBus;
  let storage: TestClient;
  let caller: TestClient;
  let script: (attempt: number) => 'silent' | 'slow' | 'shutting-down' | 'conflict' | 'ok';
  let seenKeys: string[];

  beforeAll(async () => {
    bus = await new TestBus({ transport: 'ipc' }).start();
    storage = await bus.connected('storage');
    caller = await bus.connected('gateway');
    storage.handle(StorageTopics.statePut, (request) => {
      seenKeys.push(request.envelope.idempotencyKey);
      const step = script(seenKeys.length);
      if (step === 'silent') return new Promise(() => undefined);
      if (step === 'slow') return new Promise((resolve) => setTimeout(() => resolve({ version: 7n }), 500));
      if (step === 'shutting-down') throw new RpcException({ code: StorageErrorCode.ShuttingDown, message: 'stopping' });
      if (step === 'conflict') throw new RpcException({ code: StorageErrorCode.VersionConflict, message: 'at version 3' });
      return { version: BigInt(seenKeys.length) };
    });
    storage.handle(StorageTopics.stateGet, () => ({ found: false }));
    // Five events, at most two per page (as if by storage's byte budget), whatever the row limit asked.
    storage.handle(StorageTopics.eventsQuery, (request) => {
      const after = Number(request.payload.afterSequence);
      const events = [1, 2, 3, 4, 5].filter((sequence) => sequence > after).slice(0, 2);
      return { events: events.map((sequence) => ({ sequence: BigInt(sequence), topic: 't.e.s', messageId: `m${sequence}` })), more: events.at(-1)! < 5 };
    });
    storage.handle(StorageTopics.logsQuery, (request) => {
      const before = Number(request.payload.beforeId) || 6;
      const entries = [5, 4, 3, 2, 1].filter((id) => id < before).slice(0, 2);
      return { entries: entries.map((id) => ({ id: BigInt(id), entry: { message: `line ${id}` } })), more: entries.at(-1)! > 1 };
    });
    await requestWhenRoutable((timeoutMs) => caller.request(StorageTopics.stateGet, { namespace: 'n', key: 'k' }, { timeoutMs }));
  });
  beforeEach(() => {
    seenKeys = [];
  });
  afterAll(() => bus.stop());

  const client = () => new StorageClient(caller, { attemptTimeoutMs: 200, initialBackoffMs: 5, maxBackoffMs: 20 });

  it('retries a write refused for now, with the same idempotency key each time', async () => {
    script = (attempt) => (attempt <= 2 ? 'shutting-down' : 'ok');
    const reply = await client().putState('n', 'k', Buffer.from('v'));
    expect(reply.version).toBe(3n);
    expect(seenKeys).toHaveLength(3);
    expect(new Set(seenKeys).size).toBe(1);
    expect(seenKeys[0]).not.toBe('');
  });

  it('retries past an attempt timeout; the responder applies the key once and answers the retry', async () => {
    script = () => 'slow';
    const reply = await client().putState('n', 'k', Buffer.from('v'));
    expect(reply.version).toBe(7n);
    expect(seenKeys).toHaveLength(1);
  });

  it('does not retry a domain error', async () => {
    script = () => 'conflict';
    await expect(client().putState('n', 'k', Buffer.from('v'), { expectedVersion: 1n })).rejects.toMatchObject({ code: 'STORAGE_VERSION_CONFLICT' });
    expect(seenKeys).toHaveLength(1);
  });

  it('gives up at its deadline and names the key that finds out whether the write was applied', async () => {
    script = () => 'silent';
    // The deadline runs on the test's clock: it stands still for two attempts and passes the deadline during the
    // third, so the count of attempts does not depend on how fast the machine gets through them.
    let now = 0;
    let attempts = 0;
    const counted = new Proxy(caller, {
      get: (target, property, receiver) =>
        property === 'request'
          ? (...args: Parameters<TestClient['request']>) => {
              if (++attempts === 3) now = 500;
              return target.request(...args);
            }
          : Reflect.get(target, property, receiver),
    });
    const error = await new StorageClient(counted, { attemptTimeoutMs: 200, initialBackoffMs: 5, maxBackoffMs: 20, now: () => now })
      .putState('n', 'k', Buffer.from('v'), { deadlineMs: 500, idempotencyKey: 'write-42' })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: StorageClientErrorCode.NotAcknowledged,
      details: { idempotencyKey: 'write-42', attempts: '3' },
      message: expect.stringContaining('write-42'),
    });
    expect(attempts).toBe(3);
    expect(seenKeys).toEqual(['write-42']); // the repeats joined the first, still running, attempt
  });

  it('pages through every event and every log entry, following the pages storage cut short', async () => {
    const events: string[] = [];
    for await (const event of client().allEvents({ limit: 1000 })) events.push(event.messageId);
    expect(events).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    const lines: string[] = [];
    for await (const entry of client().allLogs({ limit: 1000 })) lines.push(entry.entry!.message);
    expect(lines).toEqual(['line 5', 'line 4', 'line 3', 'line 2', 'line 1']);
  });
});
