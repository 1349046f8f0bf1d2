// Consent off, message sent: nothing of what the person said is kept. Real bus, keys, storage and gateway
// processes; a user whose conversation.memory consent is withdrawn sends messages over REST and over the WebSocket
// and has their avatar speak. Storage records that the events happened (topic, source, user, size, correlation),
// and then, with storage stopped cleanly (WAL checkpointed), no byte of any file in the data directory (database,
// WAL, SHM, log files), no row of any table read with the database key, and no answer of storage's history queries
// holds the text.
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { createTestClient, freeTcpPort, requestWhenRoutable, type BusClient } from '@aico/bus';
import { StorageTopics } from '@aico/contracts';
import { hashUserPassword } from '@aico/key-manager';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service';
import { StorageClient } from '@aico/storage-client';
import { FrameReader, GatewayClient, opened } from '../gateway/https-client';
import { ServiceProcess } from '../support/service-process';

const app = (name: string) => `dist/apps/${name}/apps/${name}/src/main.js`;
const PASSWORD = 'Dora-password-2026!';

describe('bus history with consent withdrawn: no trace of what a person said', () => {
  let environment: ServiceTestEnvironment;
  const processes = new Map<string, ServiceProcess>();
  let cli: BusClient | undefined;

  const start = async (name: string) => {
    const child = new ServiceProcess(name, app(name), [], environment.env);
    processes.set(name, child);
    await child.waitForMessage(`${name} ready`, 60_000);
    return child;
  };

  beforeAll(async () => {
    const port = await freeTcpPort();
    // Debug level into the log files: not even a debug line may carry the text.
    environment = await createServiceTestEnvironment('tcp', { AICO_LOG__LEVEL: 'debug', AICO_LOG__FILE: 'true', AICO_GATEWAY__PORT: String(port), AICO_STORAGE__HISTORY_FLUSH_MS: '50' });
    await start('bus');
    await Promise.all([start('keys'), start('storage')]);
    await start('gateway');
    cli = createTestClient('cli', environment.keys, environment.endpoints);
    await cli.connect();
    await requestWhenRoutable((timeoutMs) => cli!.request(StorageTopics.databaseCheck, {}, { timeoutMs }));
  }, 120_000);
  afterAll(async () => {
    await cli?.close({ drainTimeoutMs: 0 });
    for (const child of processes.values()) child.signal('SIGKILL');
    await environment.cleanup();
  });

  it('keeps only that the messages were sent: the text is in no file, no table and no query answer', async () => {
    const storage = new StorageClient(cli!, { attemptTimeoutMs: 5_000 });
    await storage.putRecord({ kind: { case: 'user', value: { id: 'dora', username: 'dora', role: 'user', passwordHash: await hashUserPassword(PASSWORD) } } });
    const api = new GatewayClient(`https://127.0.0.1:${environment.env['AICO_GATEWAY__PORT']}`, await readFile(join(environment.dir, 'gateway', 'tls-cert.pem'), 'utf8'));
    const login = await api.call('POST', '/api/v1/auth/login', { json: { username: 'dora', password: PASSWORD } });
    expect(login.status).toBe(200);
    const token = login.body.accessToken as string;
    // Consent for conversation memory withdrawn explicitly (no record would mean the same).
    expect(await api.call('PUT', '/api/v1/consent/conversation.memory', { token, json: { granted: false } })).toMatchObject({ status: 200, body: { granted: false } });

    const secret = randomUUID();
    const said = { rest: `rest-${secret}-I told my companion this`, ws: `ws-${secret}-and this over the socket`, spoken: `speak-${secret}-and asked it to say this` };
    const sent = await api.call('POST', '/api/v1/conversation/messages', { token, json: { text: said.rest } });
    expect(sent.status).toBe(202);
    const socket = api.websocket(token);
    const frames = new FrameReader(socket);
    await opened(socket);
    socket.send(JSON.stringify({ type: 'publish', topic: 'conversation.message.received', payload: { text: said.ws }, id: 'message' }));
    socket.send(JSON.stringify({ type: 'publish', topic: 'ui.avatar.speak', payload: { text: said.spoken }, id: 'speech' }));
    expect(await frames.next((frame) => frame['id'] === 'message')).toMatchObject({ type: 'published' });
    expect(await frames.next((frame) => frame['id'] === 'speech')).toMatchObject({ type: 'published' });
    socket.close();

    // Storage has recorded the three events (by topic: only dora sends any here).
    const recorded = await eventually(async () => {
      const events = await collect(storage.allEvents({ limit: 1000 }));
      const sentHere = events.filter((event) => ['conversation.message.received', 'ui.avatar.speak'].includes(event.topic));
      return sentHere.length === 3 ? sentHere : undefined;
    });

    // No answer of storage's history holds the text.
    const answers = [...(await collect(storage.allEvents({ limit: 1000 }))), ...(await collect(storage.allLogs({ limit: 1000 })))];
    expect(answers.length).toBeGreaterThan(10);
    expect(asText(answers)).not.toContain(secret);

    // What is kept is that they happened: who, what kind, how large, tied to the request.
    for (const event of recorded) {
      expect(event).toMatchObject({ source: 'gateway', user: 'dora', recorded: true });
      expect(event.payload).toHaveLength(0);
      expect(Number(event.payloadBytes)).toBeGreaterThan(secret.length);
    }
    expect(recorded.find((event) => event.correlationId === sent.body.correlationId)).toMatchObject({ topic: 'conversation.message.received' });

    // Stopped cleanly: the WAL is checkpointed into the database file.
    for (const name of ['gateway', 'storage']) {
      expect(await processes.get(name)!.stop(30_000)).toEqual({ code: 0, signal: null });
    }
    expect(processes.get('storage')!.lines.some((line) => line.msg === 'Database checkpointed and closed')).toBe(true);

    // Every byte in the data directory: the database, WAL and SHM (encrypted), the log files (plain).
    const files = (await readdir(environment.dir, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
    expect(files).toContain(join(environment.dir, 'aico.db'));
    expect(files.filter((file) => file.startsWith(join(environment.dir, 'logs', 'gateway'))).length).toBeGreaterThan(0);
    for (const file of files) {
      const bytes = await readFile(file);
      expect({ file, holdsText: bytes.includes(secret) || bytes.includes(Buffer.from(secret, 'utf16le')) }).toEqual({ file, holdsText: false });
    }

    // And the database read with its key: every row of every table.
    expect(await databaseText()).not.toContain(secret);
  }, 180_000);

  /** Every table's every row, as text (BLOBs as UTF-8), on a connection of its own with the database key. */
  async function databaseText(): Promise<string> {
    const client = createClient({ url: `file:${join(environment.dir, 'aico.db')}`, encryptionKey: environment.keys.purposeKey('database', 1).toString('hex') });
    try {
      const tables = (await client.execute("SELECT name FROM sqlite_master WHERE type = 'table'")).rows.map((row) => String(row[0]));
      expect(tables).toEqual(expect.arrayContaining(['events', 'logs', 'sessions', 'consent_records']));
      const parts: string[] = [];
      for (const table of tables) {
        const rows = (await client.execute(`SELECT * FROM "${table}"`)).rows;
        if (table === 'events') expect(rows.length).toBeGreaterThanOrEqual(3);
        for (const row of rows) parts.push(...Object.values(row).map((value) => (value instanceof ArrayBuffer ? Buffer.from(value).toString('utf8') : String(value))));
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
function asText(messages: readonly object[]): string {
  return JSON.stringify(messages, function (this: Record<string, unknown>, key: string, value: unknown) {
    const original = this[key];
    if (original instanceof Uint8Array) return Buffer.from(original).toString('utf8');
    return typeof value === 'bigint' ? String(value) : value;
  });
}

/** Polls `probe` until it returns a value (storage records bus history in batches, shortly after it arrives). */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Not there within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
