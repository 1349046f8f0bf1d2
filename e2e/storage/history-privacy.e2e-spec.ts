// Consent off, message sent: bus history keeps nothing of what the person said or what the companion answered.
// Real bus, keys, storage and gateway processes; a user whose conversation.memory consent is withdrawn sends a
// message over REST (the one way in: the WebSocket refuses conversation messages) and has their avatar speak over the
// WebSocket. The conversation service is a stand-in on the real bus (the edge of this test) that publishes, for that
// message, what the real one publishes: the stored message, the reply's deltas and completion, and the avatar's
// sentence, each holding the text. Storage records that the events happened (topic, source, user, size,
// correlation), and then, with storage stopped cleanly (WAL checkpointed), no byte of any file in the data directory
// (database, WAL, SHM, log files), no row of any table read with the database key, and no answer of storage's
// history queries holds the text. (The real service keeps the thread itself as its encrypted records: that is the
// thread, not history, and e2e/system shows it is deleted with the thread.)
import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { type BusClient } from '@aico/bus';
import { createTestClient, requestWhenRoutable } from '@aico/bus/testing';
import { ConversationTopics, GatewayTopics, MessageStatus } from '@aico/contracts';
import { GatewayStack, STACK_START_TIMEOUT_MS } from '../support/gateway-stack';
import { eventually } from '../support/system-bus';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

const PASSWORD = 'Dora-password-2026!';

describe('bus history with consent withdrawn: no trace of what a person said', () => {
  let stack: GatewayStack;
  let conversation: BusClient;

  beforeAll(async () => {
    // Debug level into the log files: not even a debug line may carry the text.
    stack = await GatewayStack.start({}, { AICO_LOG__LEVEL: 'debug', AICO_LOG__FILE: 'true', AICO_STORAGE__HISTORY_FLUSH_MS: '50' });
    conversation = createTestClient('conversation', stack.environment.keys, stack.environment.endpoints);
    // For a message: the stored message, a reply that echoes it in two deltas, its completion, the avatar's sentence.
    conversation.handle(ConversationTopics.messageSend, async (request) => {
      const { userId, text, client } = request.payload;
      const options = { correlationId: request.correlationId, attributes: { user: userId } };
      const [threadId, messageId, replyId] = ['thread-1', 'message-1', 'reply-1'];
      const answer = `You said: ${text}`;
      await conversation.publish(ConversationTopics.messageReceived, { id: messageId, userId, text, client, conversationId: threadId, replyId }, options);
      await conversation.publish(
        ConversationTopics.replyDelta,
        { userId, threadId, replyId, sequence: 1n, kind: { case: 'text', value: 'You said: ' } },
        options,
      );
      await conversation.publish(ConversationTopics.replyDelta, { userId, threadId, replyId, sequence: 2n, kind: { case: 'text', value: text } }, options);
      await conversation.publish(GatewayTopics.avatarSpeak, { userId, text: answer, conversationId: threadId }, options);
      await conversation.publish(
        ConversationTopics.replyCompleted,
        { userId, threadId, replyId, status: MessageStatus.COMPLETE, text: answer, deltas: 2n },
        options,
      );
      return { thread: { id: threadId, ownerId: userId, title: text.slice(0, 40) }, message: { id: messageId, threadId, ownerId: userId, text }, replyId };
    });
    await conversation.connect();
    await requestWhenRoutable(
      (timeoutMs) => stack.bus.request(ConversationTopics.messageSend, { userId: 'probe', text: 'probe' }, { timeoutMs }),
      SIGNAL_TIMEOUT_MS,
    );
  }, STACK_START_TIMEOUT_MS);
  afterAll(async () => {
    await conversation?.close({ drainTimeoutMs: 0 });
    await stack?.stop();
  });

  it(
    'keeps only that the messages were sent: the text is in no file, no table and no query answer',
    async () => {
      const { storage, api, environment } = stack;
      await stack.putUser('dora', PASSWORD);
      const token = (await stack.login('dora', PASSWORD)).accessToken;
      // Consent for conversation memory withdrawn explicitly (no record would mean the same).
      expect(await api.call('PUT', '/api/v1/consent/conversation.memory', { token, json: { granted: false } })).toMatchObject({
        status: 200,
        body: { granted: false },
      });

      const secret = randomUUID();
      const said = {
        rest: `rest-${secret}-I told my companion this`,
        ws: `ws-${secret}-and this over the socket`,
        spoken: `speak-${secret}-and asked it to say this`,
      };
      const sent = await api.call('POST', '/api/v1/conversation/messages', { token, json: { text: said.rest } });
      expect(sent.status).toBe(202);
      const client = await stack.connect(token);
      // One way in: a message over the socket is refused, so it cannot go around the conversation service.
      expect(await client.ask({ type: 'publish', topic: 'conversation.message.received', payload: { text: said.ws }, id: 'message' })).toMatchObject({
        type: 'error',
        code: 'FORBIDDEN_TOPIC',
      });
      expect(await client.ask({ type: 'publish', topic: 'ui.avatar.speak', payload: { text: said.spoken }, id: 'speech' })).toMatchObject({
        type: 'published',
      });
      client.socket.close();

      // Storage has recorded dora's six events: the companion's five for her message, and her avatar's speech.
      const topics = ['conversation.message.received', 'conversation.reply.delta', 'conversation.reply.completed', 'ui.avatar.speak'];
      const recorded = await eventually(async () => {
        const events = await collect(storage.allEvents({ limit: 1000 }));
        const sentHere = events.filter((event) => event.user === 'dora' && topics.includes(event.topic));
        return sentHere.length === 6 ? sentHere : undefined;
      }, 'the six events in the history');
      expect(recorded.map((event) => `${event.source} ${event.topic}`).sort()).toEqual(
        [
          'conversation conversation.message.received',
          'conversation conversation.reply.completed',
          'conversation conversation.reply.delta',
          'conversation conversation.reply.delta',
          'conversation ui.avatar.speak',
          'gateway ui.avatar.speak',
        ].sort(),
      );

      // No answer of storage's history holds the text.
      const answers = [...(await collect(storage.allEvents({ limit: 1000 }))), ...(await collect(storage.allLogs({ limit: 1000 })))];
      expect(answers.length).toBeGreaterThan(10);
      expect(asText(answers)).not.toContain(secret);

      // What is kept is that they happened: who, what kind, how large, tied to the request.
      for (const event of recorded) {
        expect(event).toMatchObject({ user: 'dora', recorded: true });
        expect(event.payload).toHaveLength(0);
      }
      // Each held the text (all but the first delta, "You said: ", which is shorter than it).
      const holdingText = recorded.filter((entry) => entry.topic !== 'conversation.reply.delta' || entry.payloadBytes > 40n);
      expect(holdingText).toHaveLength(5);
      for (const event of holdingText) expect(Number(event.payloadBytes)).toBeGreaterThan(secret.length);
      // Tied to the request that brought the message.
      expect(
        recorded
          .filter((event) => event.correlationId === sent.body.correlationId)
          .map((event) => event.topic)
          .sort(),
      ).toEqual(
        ['conversation.message.received', 'conversation.reply.completed', 'conversation.reply.delta', 'conversation.reply.delta', 'ui.avatar.speak'].sort(),
      );

      // Stopped cleanly: the WAL is checkpointed into the database file.
      for (const name of ['gateway', 'storage']) {
        expect(await stack.process(name).stop(SIGNAL_TIMEOUT_MS)).toEqual({ code: 0, signal: null });
      }
      expect(stack.process('storage').lines.some((line) => line.msg === 'Database checkpointed and closed')).toBe(true);

      // Every byte in the data directory: the database, WAL and SHM (encrypted), the log files (plain).
      const files = (await readdir(environment.dir, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name));
      expect(files).toContain(join(environment.dir, 'aico.db'));
      expect(files.filter((file) => file.startsWith(join(environment.dir, 'logs', 'gateway'))).length).toBeGreaterThan(0);
      for (const file of files) {
        const bytes = await readFile(file);
        expect({ file, holdsText: bytes.includes(secret) || bytes.includes(Buffer.from(secret, 'utf16le')) }).toEqual({ file, holdsText: false });
      }

      // And the database read with its key: every row of every table.
      expect(await databaseText()).not.toContain(secret);
    },
    4 * SIGNAL_TIMEOUT_MS,
  );

  /** Every table's every row, as text (BLOBs as UTF-8), on a connection of its own with the database key. */
  async function databaseText(): Promise<string> {
    const { environment } = stack;
    const client = createClient({ url: `file:${join(environment.dir, 'aico.db')}`, encryptionKey: environment.keys.purposeKey('database', 1).toString('hex') });
    try {
      const tables = (await client.execute("SELECT name FROM sqlite_master WHERE type = 'table'")).rows.map((row) => String(row[0]));
      expect(tables).toEqual(expect.arrayContaining(['events', 'logs', 'sessions', 'consent_records']));
      const parts: string[] = [];
      for (const table of tables) {
        const rows = (await client.execute(`SELECT * FROM "${table}"`)).rows;
        if (table === 'events') expect(rows.length).toBeGreaterThanOrEqual(3);
        for (const row of rows)
          parts.push(...Object.values(row).map((value) => (value instanceof ArrayBuffer ? Buffer.from(value).toString('utf8') : String(value))));
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
