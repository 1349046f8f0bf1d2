// Bus history through the storage contract, with the real app in this process behind a real CURVE proxy and its
// real encrypted database: what a person said is not kept (events are recorded as metadata only, and the database
// read with its key holds no trace of the text), and query pages stay within their byte budget however large the
// rows, while paging still reaches every row.
import { randomUUID } from 'node:crypto';
import { toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { createClient } from '@libsql/client';
import { requestWhenRoutable, TestBus, type TestClient } from '@aico/bus/testing';
import { ConversationTopics, GatewayTopics, LogLevel, QueryEventsResponseSchema, QueryLogsResponseSchema, StorageTopics, SystemTopics } from '@aico/contracts';
import { runService, type RunningService } from '@aico/service';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { StorageClient } from '@aico/storage-client';
import { HistoryRecorder } from './history-recorder';
import { StorageAppModule } from './storage-app.module';
import { storageConfigSchema } from './storage.config';

const PAGE_BYTES = 64 * 1024;

describe('bus history: metadata only, and query pages bounded by bytes', () => {
  let environment: ServiceTestEnvironment;
  let bus: TestBus;
  let running: RunningService;
  let gateway: TestClient;
  let storage: StorageClient;

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('ipc', {
      AICO_LOG__LEVEL: 'warn',
      AICO_LOG__FILE: 'false',
      AICO_STORAGE__MAX_VALUE_BYTES: String(PAGE_BYTES),
      AICO_STORAGE__QUERY_PAGE_BYTES: String(PAGE_BYTES),
      AICO_STORAGE__HISTORY_FLUSH_MS: '20',
    });
    bus = await new TestBus({ transport: 'ipc', keys: environment.keys }).start();
    const env = { ...environment.env, AICO_BUS__PUBLISH_ENDPOINT: bus.publishEndpoint, AICO_BUS__SUBSCRIBE_ENDPOINT: bus.subscribeEndpoint };
    running = await runService({ identity: 'storage', module: StorageAppModule, configSchema: storageConfigSchema, env, exitOnStop: false });
    gateway = await bus.connected('gateway');
    storage = new StorageClient(gateway, { attemptTimeoutMs: 5_000 });
    await requestWhenRoutable((timeoutMs) => gateway.request(StorageTopics.databaseCheck, {}, { timeoutMs }));
  });
  afterAll(async () => {
    await running.stop('test finished');
    await bus.stop();
    await environment.cleanup();
  });

  it('records a conversation message and avatar speech as topic, source, user, size and ids: the text is in no row of any table', async () => {
    const said = `DISTINCTIVE-${randomUUID()}-what-a-person-said`;
    const conversation = await bus.connected('conversation');
    await conversation.publish(
      ConversationTopics.messageReceived,
      { id: 'm-1', userId: 'u-7', text: said, client: 'web', receivedAt: timestampFromMs(Date.now()) },
      { correlationId: 'corr-conversation', attributes: { user: 'u-7' } },
    );
    await gateway.publish(GatewayTopics.avatarSpeak, { text: `${said}-spoken`, userId: 'u-7' }, { attributes: { user: 'u-7' } });
    const recorded = await eventually(async () => {
      const page = await storage.queryEvents({ topicPrefix: 'conversation.message.received' });
      return page.events[0];
    });
    expect(recorded).toMatchObject({
      topic: 'conversation.message.received',
      source: 'conversation',
      user: 'u-7',
      correlationId: 'corr-conversation',
      recorded: true,
      messageId: expect.any(String),
    });
    expect(recorded.payload).toHaveLength(0);
    expect(Number(recorded.payloadBytes)).toBeGreaterThan(said.length);
    await eventually(async () => (await storage.queryEvents({ topicPrefix: 'ui.avatar.speak' })).events[0]);
    await running.app.get(HistoryRecorder).flush();

    // Every answer storage gives about its history, and every row of every table read with the database key.
    const answers = [...(await collect(storage.allEvents({ limit: 1000 }))), ...(await collect(storage.allLogs({ limit: 1000 })))];
    expect(answers.length).toBeGreaterThan(2);
    expect(textOf(answers)).not.toContain(said.slice(0, 24));
    expect(await databaseText()).not.toContain(said.slice(0, 24));
  }, 120_000);

  it('keeps the payload of an event a service appends explicitly (its own choice), with its size', async () => {
    const [sequence] = (
      await storage.appendEvents([{ topic: 'test.history.appended', messageId: 'a-1', payload: Buffer.from('kept on purpose'), user: 'u-7' }])
    ).sequences;
    const [event] = (await storage.queryEvents({ afterSequence: sequence! - 1n, limit: 1 })).events;
    expect(event).toMatchObject({ topic: 'test.history.appended', user: 'u-7', recorded: false, payloadBytes: 15n });
    expect(Buffer.from(event!.payload).toString()).toBe('kept on purpose');
  });

  it('answers a 1000-row query of large events in pages within the byte budget, and paging reaches every row once', async () => {
    const payload = Buffer.alloc(8 * 1024, 0x61);
    const appended: bigint[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const events = Array.from({ length: 50 }, (_, i) => ({ topic: 'test.paging.large', messageId: `p-${batch}-${i}`, payload }));
      appended.push(...(await storage.appendEvents(events)).sequences);
    }
    const seen: bigint[] = [];
    let pages = 0;
    for (let afterSequence = 0n; ; pages++) {
      const page = await storage.queryEvents({ topicPrefix: 'test.paging.', afterSequence, limit: 1000 });
      expect(toBinary(QueryEventsResponseSchema, page).length).toBeLessThanOrEqual(PAGE_BYTES);
      expect(page.events.length).toBeGreaterThan(0);
      seen.push(...page.events.map((event) => event.sequence));
      if (!page.more) break;
      afterSequence = page.events.at(-1)!.sequence;
    }
    expect(seen).toEqual(appended);
    expect(pages).toBeGreaterThan(100);

    // A row larger than the budget comes alone (it still fits one bus message), and paging goes on after it.
    const [large] = (await storage.appendEvents([{ topic: 'test.paging.huge', messageId: 'huge', payload: Buffer.alloc(PAGE_BYTES, 0x62) }])).sequences;
    await storage.appendEvents([{ topic: 'test.paging.huge', messageId: 'after-huge', payload: Buffer.from('small') }]);
    const alone = await storage.queryEvents({ topicPrefix: 'test.paging.huge', limit: 1000 });
    expect(alone.events.map((event) => [event.sequence, event.payload.length])).toEqual([[large, PAGE_BYTES]]);
    expect(alone.more).toBe(true);
    expect((await collect(storage.allEvents({ topicPrefix: 'test.paging.huge', limit: 1000 }))).map((event) => event.messageId)).toEqual([
      'huge',
      'after-huge',
    ]);
  }, 180_000);

  it('answers a 1000-row query of large log entries in pages within the byte budget, newest first, reaching every entry', async () => {
    const scheduler = await bus.connected('scheduler');
    await requestWhenRoutable((timeoutMs) => scheduler.request(StorageTopics.databaseCheck, {}, { timeoutMs }));
    const fieldsJson = JSON.stringify({ detail: 'x'.repeat(3 * 1024) });
    for (let i = 0; i < 1000; i++) {
      await scheduler.publish(SystemTopics.logEntry, {
        service: 'paging',
        level: LogLevel.WARN,
        message: `large ${i}`,
        timestamp: timestampFromMs(Date.now()),
        fieldsJson,
      });
    }
    // The recorder writes in arrival order: once the last entry is there, all are.
    await eventually(async () => (await storage.queryLogs({ service: 'paging', contains: 'large 999', limit: 1 })).entries[0]);
    const messages: string[] = [];
    for (let beforeId = 0n; ;) {
      const page = await storage.queryLogs({ service: 'paging', beforeId, limit: 1000 });
      expect(toBinary(QueryLogsResponseSchema, page).length).toBeLessThanOrEqual(PAGE_BYTES);
      messages.push(...page.entries.map((entry) => entry.entry!.message));
      if (!page.more) break;
      beforeId = page.entries.at(-1)!.id;
    }
    expect(messages).toEqual(Array.from({ length: 1000 }, (_, i) => `large ${999 - i}`));
  }, 180_000);

  /** Every table's every row, as text (BLOBs as UTF-8), read on a connection of its own with the database key. */
  async function databaseText(): Promise<string> {
    const client = createClient({ url: `file:${environment.dir}/aico.db`, encryptionKey: environment.keys.purposeKey('database', 1).toString('hex') });
    try {
      const tables = (await client.execute("SELECT name FROM sqlite_master WHERE type = 'table'")).rows.map((row) => String(row[0]));
      expect(tables).toEqual(expect.arrayContaining(['events', 'logs', 'state']));
      const parts: string[] = [];
      for (const table of tables) {
        for (const row of (await client.execute(`SELECT * FROM "${table}"`)).rows) {
          parts.push(...Object.values(row).map((value) => (value instanceof ArrayBuffer ? Buffer.from(value).toString('utf8') : String(value))));
        }
      }
      return parts.join('\n');
    } finally {
      client.close();
    }
  }
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** Protobuf messages as text: strings as they are, bytes as UTF-8 (a Buffer's own toJSON would hide them as numbers). */
function textOf(messages: readonly object[]): string {
  return JSON.stringify(messages, function (this: Record<string, unknown>, key: string, value: unknown) {
    const original = this[key];
    if (original instanceof Uint8Array) return Buffer.from(original).toString('utf8');
    return typeof value === 'bigint' ? String(value) : value;
  });
}

/** Polls `probe` until it returns a value (history is written in batches shortly after it arrives). */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Not there within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
