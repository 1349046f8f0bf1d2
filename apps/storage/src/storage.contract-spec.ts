// The storage app through its bus contract: the real app in this process behind a real CURVE proxy, its real
// encrypted database in a temporary data directory; test clients send envelopes and read the replies.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { WireType } from '@bufbuild/protobuf/wire';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { type IncomingMessage } from '@aico/bus';
import { nextValue, requestWhenRoutable, TestBus, type TestClient } from '@aico/bus/testing';
import {
  KeyPurpose,
  LogLevel,
  MessageRole,
  ModelPurpose,
  PutStateRequestSchema,
  RecordKind,
  SecurityTopics,
  StorageTopics,
  SystemTopics,
  type DatabaseRekeyed,
} from '@aico/contracts';
import { runService, type RunningService } from '@aico/service';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { StorageClient } from '@aico/storage-client';
import { StorageAppModule } from './storage-app.module';
import { StorageMaintenance } from './storage-maintenance';
import { storageConfigSchema } from './storage.config';

describe('storage app contract', () => {
  let environment: ServiceTestEnvironment;
  let bus: TestBus;
  let running: RunningService;
  let gateway: TestClient;
  let storage: StorageClient;
  const text = (value: Uint8Array) => Buffer.from(value).toString('utf8');

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('ipc', {
      AICO_LOG__LEVEL: 'warn',
      AICO_LOG__FILE: 'false',
      AICO_STORAGE__MAX_VALUE_BYTES: '65536',
      AICO_STORAGE__HISTORY_FLUSH_MS: '20',
    });
    bus = await new TestBus({ transport: 'ipc', keys: environment.keys }).start();
    const env = { ...environment.env, AICO_BUS__PUBLISH_ENDPOINT: bus.publishEndpoint, AICO_BUS__SUBSCRIBE_ENDPOINT: bus.subscribeEndpoint };
    running = await runService({ identity: 'storage', module: StorageAppModule, configSchema: storageConfigSchema, env, exitOnStop: false });
    gateway = await bus.connected('gateway');
    storage = new StorageClient(gateway, { attemptTimeoutMs: 1_000 });
    await requestWhenRoutable((timeoutMs) => gateway.request(StorageTopics.databaseCheck, {}, { timeoutMs }));
  });
  afterAll(async () => {
    await running.stop('test finished');
    await bus.stop();
    await environment.cleanup();
  });

  describe('state', () => {
    it('puts, gets, lists in key order by prefix and deletes, with versions', async () => {
      expect((await storage.putState('prefs', 'theme', Buffer.from('dark'))).version).toBe(1n);
      expect((await storage.putState('prefs', 'theme', Buffer.from('light'))).version).toBe(2n);
      await storage.putState('prefs', 'lang', Buffer.from('de'));
      await storage.putState('prefs', 'Theme-upper', Buffer.from('x'));
      const got = await storage.getState('prefs', 'theme');
      expect(got).toMatchObject({ found: true, entry: { version: 2n, updatedBy: 'gateway' } });
      expect(text(got.entry!.value)).toBe('light');
      const listed = await storage.listState({ namespace: 'prefs', prefix: 'the' });
      expect(listed.entries.map((entry) => entry.key)).toEqual(['theme']); // literal, case-sensitive prefix
      const page = await storage.listState({ namespace: 'prefs', limit: 2 });
      expect(page.entries.map((entry) => entry.key)).toEqual(['Theme-upper', 'lang']);
      const rest = await storage.listState({ namespace: 'prefs', afterKey: page.nextKey, keysOnly: true });
      expect(rest.entries.map((entry) => [entry.key, entry.value.length])).toEqual([['theme', 0]]);
      expect(rest.nextKey).toBe('');
      expect((await storage.deleteState('prefs', 'lang')).deleted).toBe(true);
      expect((await storage.getState('prefs', 'lang')).found).toBe(false);
    });

    it('compare-and-set: a stale version is refused with the current one, and nothing changes', async () => {
      await storage.putState('cas', 'counter', Buffer.from('1'));
      await expect(storage.putState('cas', 'counter', Buffer.from('2'), { expectedVersion: 5n })).rejects.toMatchObject({
        code: 'STORAGE_VERSION_CONFLICT',
        details: { currentVersion: '1' },
      });
      await expect(storage.putState('cas', 'new', Buffer.from('x'), { expectedVersion: 0n })).resolves.toMatchObject({ version: 1n });
      expect(text((await storage.getState('cas', 'counter')).entry!.value)).toBe('1');
    });

    it('applies a batch all or nothing', async () => {
      await storage.putState('batch', 'a', Buffer.from('old'));
      const failing = [
        { operation: { case: 'put' as const, value: { namespace: 'batch', key: 'b', value: Buffer.from('new') } } },
        { operation: { case: 'put' as const, value: { namespace: 'batch', key: 'a', value: Buffer.from('x'), expectedVersion: 9n } } },
      ];
      await expect(storage.writeState(failing)).rejects.toMatchObject({ code: 'STORAGE_VERSION_CONFLICT' });
      expect((await storage.getState('batch', 'b')).found).toBe(false);
      const ok = await storage.writeState([
        { operation: { case: 'put', value: { namespace: 'batch', key: 'b', value: Buffer.from('new') } } },
        { operation: { case: 'delete', value: { namespace: 'batch', key: 'a' } } },
      ]);
      expect(ok.versions).toEqual([1n, 0n]);
      expect((await storage.getState('batch', 'a')).found).toBe(false);
    });

    it('applies a repeated write (same idempotency key) once and answers it with the first reply', async () => {
      const first = await storage.putState('idem', 'k', Buffer.from('v'), { idempotencyKey: 'retry-1' });
      const again = await storage.putState('idem', 'k', Buffer.from('v'), { idempotencyKey: 'retry-1' });
      expect(again.version).toBe(first.version);
      expect((await storage.getState('idem', 'k')).entry?.version).toBe(1n);
      const appended = await storage.appendEvents([{ topic: 'test.idem.appended', messageId: 'm-1', payload: Buffer.from('p') }], {
        idempotencyKey: 'append-1',
      });
      const repeated = await storage.appendEvents([{ topic: 'test.idem.appended', messageId: 'm-1', payload: Buffer.from('p') }], {
        idempotencyKey: 'append-1',
      });
      expect(repeated.sequences).toEqual(appended.sequences);
      expect((await storage.queryEvents({ messageId: 'm-1' })).events).toHaveLength(1);
    });
  });

  describe('bad input gets a clear error and storage stays up and consistent', () => {
    it.each([
      ['an empty key', () => storage.putState('bad', '', Buffer.from('v')), 'STORAGE_INVALID_ARGUMENT', /"key" is required/],
      ['a control character in a namespace', () => storage.putState('b\u0000ad', 'k', Buffer.from('v')), 'STORAGE_INVALID_TEXT', /control character/],
      ['an oversize value', () => storage.putState('bad', 'big', Buffer.alloc(65_537)), 'STORAGE_VALUE_TOO_LARGE', /65537 bytes; at most 65536/],
      ['a record of no known kind', () => storage.putRecord({}), 'STORAGE_UNKNOWN_RECORD_KIND', /no kind this storage knows/],
      ['an unknown record kind number', () => storage.getRecord(99 as RecordKind, 'x'), 'STORAGE_UNKNOWN_RECORD_KIND', /Record kind 99/],
    ])('%s', async (_case, send, code, message) => {
      await expect(send()).rejects.toMatchObject({ code, message: expect.stringMatching(message), source: 'storage' });
    });

    it('invalid UTF-8 in a string field is refused before any handler, and the database stays sound', async () => {
      // protobuf-es would never encode this; a foreign or broken client can. Field 2 (key) as raw bytes a, 0xFF, b.
      const request = create(PutStateRequestSchema, { namespace: 'bad', value: Buffer.from('v') });
      request.$unknown = [{ no: 2, wireType: WireType.LengthDelimited, data: Uint8Array.from([3, 0x61, 0xff, 0x62]) }];
      await expect(gateway.request(StorageTopics.statePut, request)).rejects.toMatchObject({
        code: 'INVALID_REQUEST',
        message: expect.stringContaining('payload (aico.storage.v1.PutStateRequest) does not decode: The encoded data was not valid for encoding utf-8'),
      });
      expect((await storage.listState({ namespace: 'bad' })).entries).toEqual([]);
      expect(await storage.checkDatabase()).toMatchObject({ ok: true, problems: [], schemaMigration: expect.stringMatching(/^0004_/) });
    });
  });

  describe('records', () => {
    it('keeps users and their sessions and consent history; only the right services may write each kind', async () => {
      const created = await storage.putRecord({
        kind: { case: 'user', value: { id: 'u-1', username: 'ada', displayName: 'Ada', role: 'admin', passwordHash: '$argon2id$v=19$...' } },
      });
      expect(created.created).toBe(true);
      expect((await storage.putRecord({ kind: { case: 'user', value: { id: 'u-1', username: 'ada', displayName: 'Ada L.', role: 'admin' } } })).created).toBe(
        false,
      );
      const expiresAt = timestampFromMs(Date.now() + 3_600_000);
      await storage.putRecord({ kind: { case: 'session', value: { id: 's-2', userId: 'u-1', tokenHash: 'h2', expiresAt } } });
      await storage.putRecord({ kind: { case: 'session', value: { id: 's-1', userId: 'u-1', tokenHash: 'h1', expiresAt } } });
      await storage.putRecord({ kind: { case: 'consent', value: { id: 'c-1', userId: 'u-1', purpose: 'memory.long_term', granted: true } } });
      const user = await storage.getRecord(RecordKind.USER, 'u-1');
      expect(user.record?.kind).toMatchObject({ case: 'user', value: { username: 'ada', displayName: 'Ada L.', role: 'admin' } });
      const sessions = await storage.listRecords({ kind: RecordKind.SESSION, parent: 'u-1' });
      expect(sessions.records.map((record) => record.kind.value?.id)).toEqual(['s-1', 's-2']);
      await expect(storage.putRecord({ kind: { case: 'session', value: { id: 's-3', userId: 'nobody', tokenHash: 'h3', expiresAt } } })).rejects.toMatchObject({
        code: 'STORAGE_CONSTRAINT',
        message: expect.stringContaining('FOREIGN KEY'),
      });
      await expect(storage.putRecord({ kind: { case: 'user', value: { id: 'u-2', username: 'ada', role: 'user' } } })).rejects.toMatchObject({
        code: 'STORAGE_CONSTRAINT',
        message: expect.stringContaining('users.username'),
      });
      const monitor = new StorageClient(await bus.connected('monitor'));
      await expect(monitor.putRecord({ kind: { case: 'user', value: { id: 'u-9', username: 'eve', role: 'admin' } } })).rejects.toMatchObject({
        code: 'STORAGE_NOT_PERMITTED',
        message: expect.stringContaining('"monitor" may not write user records'),
      });
      // Catalog models: only the models service writes them; a file name never leads out of the models directory.
      const models = new StorageClient(await bus.connected('models'));
      const model = {
        id: 'tiny',
        file: 'tiny.gguf',
        sizeBytes: 1024n,
        sha256: 'a'.repeat(64),
        architecture: 'llama',
        quantization: 'F16',
        contextLength: 256,
        usedFor: [ModelPurpose.CHAT],
      };
      expect((await models.putRecord({ kind: { case: 'model', value: model } })).created).toBe(true);
      expect((await storage.getRecord(RecordKind.MODEL, 'tiny')).record?.kind).toMatchObject({ case: 'model', value: model });
      await expect(models.putRecord({ kind: { case: 'model', value: { ...model, id: 'evil', file: '../../aico.db' } } })).rejects.toMatchObject({
        code: 'STORAGE_INVALID_ARGUMENT',
        message: expect.stringContaining('plain file name'),
      });
      await expect(storage.putRecord({ kind: { case: 'model', value: { ...model, id: 'other' } } })).rejects.toMatchObject({ code: 'STORAGE_NOT_PERMITTED' });
      // Deleting a user removes their sessions and consent (ON DELETE CASCADE).
      expect((await storage.deleteRecord(RecordKind.USER, 'u-1')).deleted).toBe(true);
      expect((await storage.listRecords({ kind: RecordKind.SESSION, parent: 'u-1' })).records).toEqual([]);
    });

    it("keeps the conversation service's threads and messages, lists them by parent, and deletes a thread's messages in one request", async () => {
      const conversation = new StorageClient(await bus.connected('conversation'));
      await conversation.putRecord({ kind: { case: 'thread', value: { id: 't-1', ownerId: 'u-5', title: 'Plans' } } });
      for (const id of ['m-1', 'm-2', 'm-3'])
        await conversation.putRecord({
          kind: { case: 'threadMessage', value: { id, threadId: 't-1', ownerId: 'u-5', text: `said ${id}`, role: MessageRole.USER } },
        });
      await conversation.putRecord({ kind: { case: 'threadMessage', value: { id: 'm-9', threadId: 't-2', ownerId: 'u-5', text: 'elsewhere' } } });
      expect((await storage.listRecords({ kind: RecordKind.THREAD, parent: 'u-5' })).records.map((r) => r.kind.value?.id)).toEqual(['t-1']);
      const messages = await storage.listRecords({ kind: RecordKind.THREAD_MESSAGE, parent: 't-1' });
      expect(messages.records.map((r) => r.kind.case === 'threadMessage' && r.kind.value.text)).toEqual(['said m-1', 'said m-2', 'said m-3']);
      // Only the conversation service writes them, and a delete names one id or one parent.
      await expect(storage.putRecord({ kind: { case: 'thread', value: { id: 't-3', ownerId: 'u-5' } } })).rejects.toMatchObject({
        code: 'STORAGE_NOT_PERMITTED',
      });
      await expect(conversation.deleteRecordsOf(RecordKind.PERSONA, 'x')).rejects.toMatchObject({
        code: 'STORAGE_INVALID_ARGUMENT',
        message: expect.stringContaining('not deleted by parent'),
      });
      expect(await conversation.deleteRecordsOf(RecordKind.THREAD_MESSAGE, 't-1')).toMatchObject({ deleted: true, count: 3 });
      expect((await storage.listRecords({ kind: RecordKind.THREAD_MESSAGE, parent: 't-1' })).records).toEqual([]);
      expect((await storage.listRecords({ kind: RecordKind.THREAD_MESSAGE, parent: 't-2' })).records).toHaveLength(1);
    });
  });

  describe('bus history', () => {
    it('persists log entries and events published on the bus, in batches, and answers queries about them', async () => {
      const scheduler = await bus.connected('scheduler');
      await requestWhenRoutable((timeoutMs) => scheduler.request(StorageTopics.databaseCheck, {}, { timeoutMs }));
      for (let i = 0; i < 30; i++) {
        await scheduler.publish(SystemTopics.logEntry, {
          service: 'scheduler',
          level: LogLevel.WARN,
          message: `task late ${i}`,
          timestamp: timestampFromMs(Date.now()),
          correlationId: 'corr-7',
        });
      }
      await scheduler.publish(SystemTopics.serviceStopping, { service: 'scheduler', instanceId: 'i-1', reason: 'test' });
      const logs = await eventually(async () => {
        const found = await storage.queryLogs({ service: 'scheduler', correlationId: 'corr-7', limit: 100 });
        return found.entries.length === 30 ? found : undefined;
      });
      expect(logs.entries[0]!.entry?.message).toBe('task late 29'); // newest first
      expect((await storage.queryLogs({ contains: 'late 1', service: 'scheduler' })).entries.map((e) => e.entry?.message).sort()).toEqual(
        ['task late 1', ...Array.from({ length: 10 }, (_, i) => `task late 1${i}`)].sort(),
      );
      const events = await eventually(async () => {
        const found = await storage.queryEvents({ topicPrefix: 'system.service.stopping' });
        return found.events.length > 0 ? found : undefined;
      });
      expect(events.events[0]).toMatchObject({ topic: 'system.service.stopping', source: 'scheduler' });
      // Services publish their own log lines (runService's log tap): storage's start-up lines are kept too.
      const own = await eventually(async () => {
        const found = await storage.queryLogs({ service: 'storage', contains: 'storage ready' });
        return found.entries.length > 0 ? found : undefined;
      });
      expect(own.entries[0]!.entry).toMatchObject({ level: LogLevel.INFO, fieldsJson: expect.stringContaining('"handles"') });
    });
  });

  describe('retention', () => {
    it('removes log entries and events past their retention (30 and 90 days by default)', async () => {
      const before = (await storage.queryLogs({ limit: 1000 })).entries.length;
      expect(before).toBeGreaterThan(0);
      const maintenance = running.app.get(StorageMaintenance);
      expect(await maintenance.prune(Date.now() + 31 * 86_400_000)).toMatchObject({ logs: expect.any(Number), events: 0 });
      const after = await storage.queryLogs({ limit: 1000 });
      // Only lines logged after the prune's own cut-off remain (none were: the cut-off is in the future).
      expect(after.entries.filter((entry) => entry.entry!.timestamp!.seconds < BigInt(Math.floor(Date.now() / 1000)) - 5n)).toEqual([]);
      expect((await maintenance.prune(Date.now() + 91 * 86_400_000)).events).toBeGreaterThan(0);
      expect((await storage.queryEvents({ topicPrefix: 'system.service.stopping' })).events).toEqual([]);
    });
  });

  describe('key rotation', () => {
    it('re-keys the database when the key service announces a new database key, with every write still readable', async () => {
      await storage.putState('rotation', 'before', Buffer.from('written under v1'));
      const keys = await bus.connected('keys');
      const announced = nextValue<IncomingMessage>((deliver) => gateway.subscribe(StorageTopics.databaseRekeyed, deliver));
      await requestWhenRoutable((timeoutMs) => keys.request(StorageTopics.databaseCheck, {}, { timeoutMs }));
      await keys.publish(SecurityTopics.rotated, { key: { purpose: KeyPurpose.DATABASE, version: 2 }, previousVersion: 1, reason: 'test' });
      // Writes sent while the re-key runs queue and are acknowledged after it.
      const during = storage.putState('rotation', 'during', Buffer.from('queued'));
      expect((await announced).payload as DatabaseRekeyed).toMatchObject({ previousVersion: 1, version: 2 });
      await during;
      expect(text((await storage.getState('rotation', 'before')).entry!.value)).toBe('written under v1');
      expect((await storage.getState('rotation', 'during')).found).toBe(true);
      expect(await storage.checkDatabase()).toMatchObject({ ok: true, databaseKeyVersion: 2 });
      await expect(readFile(join(environment.dir, 'aico.db.key-version.json'), 'utf8')).resolves.toContain('"version":2');
    });
  });
});

/** Polls `probe` until it returns a value (history is written in batches shortly after it arrives). */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Not there within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
