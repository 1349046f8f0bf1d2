// The gateway's conversation, persona, memory, Models page and first-run routes over HTTPS and WSS, with real bus,
// keys, storage and gateway processes and stand-in conversation and models services on the real bus (the edge of
// this test: what the gateway sends them, and how it maps their answers and errors). The first run: the admin made
// in the browser while no user exists, then never again. Bad input gets its own code, other users' threads 404,
// a stop after the end 409, the persona is an admin's, a service that does not answer 503; reply events and pull
// progress reach only their own user.
import { type BusClient } from '@aico/bus';
import { createTestClient, requestWhenRoutable } from '@aico/bus/testing';
import { ConversationErrorCode, ConversationTopics, ExportFormat, MessageRole, MessageStatus, ModelsTopics, PublicError } from '@aico/contracts';
import { speakUntilHeard, type Frame, type TestSocket } from '../support/gateway-client';
import { GatewayStack, STACK_START_TIMEOUT_MS } from '../support/gateway-stack';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

class StandInError extends PublicError {}

const ADMIN_PASSWORD = 'First-admin-2026!';
const PASSWORD = 'Conversation-test-2026!';
const THREAD = (owner: string) => ({ id: `thread-of-${owner}`, ownerId: owner, title: 'Hello there', messageCount: 2 });
const isEvent = (topic: string) => (frame: Frame) => frame['type'] === 'event' && frame['topic'] === topic;
const payloadOf = (frame: Frame) => frame['payload'] as Record<string, unknown>;

describe('conversation routes of the gateway (real processes, stand-in conversation and models services)', () => {
  let stack: GatewayStack;
  let conversation: BusClient;
  let models: BusClient;
  const received: { topic: string; payload: Record<string, unknown> }[] = [];
  let replies = 0;
  const running = new Set<string>();

  beforeAll(async () => {
    stack = await GatewayStack.start({ AICO_GATEWAY__VALIDATE_RESPONSES: 'true' });
  }, STACK_START_TIMEOUT_MS);

  afterAll(async () => {
    await conversation?.close({ drainTimeoutMs: 0 });
    await models?.close({ drainTimeoutMs: 0 });
    await stack?.stop();
  });

  /** The conversation service as the gateway meets it: answers for the user the gateway names, threads per owner. */
  async function startStandIns(): Promise<void> {
    conversation = createTestClient('conversation', stack.environment.keys, stack.environment.endpoints);
    const record = (topic: string, payload: Record<string, unknown>) => received.push({ topic, payload });
    const ownThread = (userId: string, threadId: string) => {
      if (threadId !== THREAD(userId).id) throw new StandInError(ConversationErrorCode.ThreadNotFound, 'You have no such thread.');
      return THREAD(userId);
    };
    conversation.handle(ConversationTopics.messageSend, async ({ payload: { userId, threadId, text, client } }) => {
      record('send', { userId, threadId, text, client });
      const thread = threadId ? ownThread(userId, threadId) : THREAD(userId);
      const replyId = `reply-${++replies}`;
      running.add(replyId);
      const messageId = `message-${replies}`;
      await conversation.publish(ConversationTopics.messageReceived, { id: messageId, userId, text, client, conversationId: thread.id, replyId });
      for (const [sequence, piece] of [
        [1n, 'Hi '],
        [2n, `${userId}.`],
      ] as const)
        await conversation.publish(ConversationTopics.replyDelta, { userId, threadId: thread.id, replyId, sequence, kind: { case: 'text', value: piece } });
      return {
        thread,
        message: { id: messageId, threadId: thread.id, ownerId: userId, role: MessageRole.USER, text, status: MessageStatus.COMPLETE },
        replyId,
      };
    });
    conversation.handle(ConversationTopics.replyStop, ({ payload: { userId, threadId, replyId } }) => {
      record('stop', { userId, threadId, replyId });
      ownThread(userId, threadId);
      if (!running.delete(replyId)) throw new StandInError(ConversationErrorCode.ReplyNotRunning, 'No reply is being written in this thread.');
      return { replyId };
    });
    conversation.handle(ConversationTopics.threadsList, ({ payload: { userId, limit, pageToken } }) => {
      record('list', { userId, limit, pageToken });
      return { threads: [THREAD(userId)], nextPageToken: '' };
    });
    conversation.handle(ConversationTopics.threadGet, ({ payload: { userId, threadId } }) => ({ thread: ownThread(userId, threadId) }));
    conversation.handle(ConversationTopics.messagesList, ({ payload: { userId, threadId } }) => {
      ownThread(userId, threadId);
      return { messages: [{ id: 'm1', threadId, ownerId: userId, role: MessageRole.USER, text: 'Hello there', status: MessageStatus.COMPLETE }], nextId: '' };
    });
    conversation.handle(ConversationTopics.threadExport, ({ payload: { userId, threadId, format } }) => {
      ownThread(userId, threadId);
      return format === ExportFormat.JSON
        ? { fileName: 'Hello there.json', contentType: 'application/json; charset=utf-8', content: '{"title":"Hello there"}' }
        : { fileName: 'Hello there.md', contentType: 'text/markdown; charset=utf-8', content: '# Hello there\n' };
    });
    conversation.handle(ConversationTopics.threadRename, ({ payload: { userId, threadId, title } }) => ({ thread: { ...ownThread(userId, threadId), title } }));
    conversation.handle(ConversationTopics.threadDelete, ({ payload: { userId, threadId } }) => {
      ownThread(userId, threadId);
      return { deletedMessages: 2 };
    });
    conversation.handle(ConversationTopics.replyRegenerate, ({ payload: { userId, threadId } }) => ({
      thread: ownThread(userId, threadId),
      replyId: `reply-${++replies}`,
    }));
    conversation.handle(ConversationTopics.memoryUpdate, ({ payload: { factId } }) => {
      throw new StandInError(ConversationErrorCode.FactNotFound, `You have no remembered fact "${factId}".`);
    });
    conversation.handle(ConversationTopics.personaGet, () => ({
      persona: { id: 'default', name: 'Aico', systemPrompt: 'You are Aico.', expression: 'neutral' },
    }));
    conversation.handle(ConversationTopics.personaUpdate, ({ payload: { persona, updatedBy } }) => {
      record('persona', { name: persona?.name, temperature: persona?.temperature, updatedBy });
      return {
        persona: { id: 'default', name: persona?.name ?? '', systemPrompt: persona?.systemPrompt ?? '', expression: persona?.expression ?? '', updatedBy },
      };
    });
    conversation.handle(ConversationTopics.memoryList, ({ payload: { userId } }) => ({ enabled: false, facts: [], summaries: userId === adminName ? 1 : 0 }));
    models = createTestClient('models', stack.environment.keys, stack.environment.endpoints);
    models.handle(ModelsTopics.catalogList, ({ payload: { withFit } }) => {
      record('models.list', { withFit });
      return {
        models: [{ id: 'tiny', file: 'tiny.gguf', quantization: 'F32' }],
        modelsDir: '/data/models',
        fits: withFit ? [{ model: 'tiny', fits: true, requiredBytes: 10n, availableBytes: 100n }] : [],
      };
    });
    models.handle(ModelsTopics.status, () => ({ backend: 'llama.cpp' }));
    models.handleStream(ModelsTopics.catalogPull, async ({ payload: { source } }, stream) => {
      record('pull', { source });
      await stream.send({ phase: 'downloading', doneBytes: 50n, totalBytes: 100n });
      await stream.send({ phase: 'verifying', doneBytes: 100n, totalBytes: 100n });
      return { model: { id: 'pulled', file: 'pulled.gguf', source } };
    });
    await Promise.all([conversation.connect(), models.connect()]);
    // Routable once the stand-ins' subscriptions are through the bus (the CLI identity may ask what the gateway asks).
    await requestWhenRoutable((timeoutMs) => stack.bus.request(ConversationTopics.personaGet, {}, { timeoutMs }), SIGNAL_TIMEOUT_MS);
    await requestWhenRoutable((timeoutMs) => stack.bus.request(ModelsTopics.status, {}, { timeoutMs }), SIGNAL_TIMEOUT_MS);
  }

  let admin = '';
  /** Whoever of the two concurrent first-run setups won (ada or mallory): the admin of every later test. */
  let adminName = '';
  let bob = '';
  const bearer = (token: string) => ({ token });

  it('first run: while no user exists, this machine makes the first admin in the browser and is logged in; then never again', async () => {
    expect(await stack.call('GET', '/api/v1/auth/setup')).toMatchObject({ status: 200, body: { needed: true } });
    const [first, second] = await Promise.all([
      stack.call('POST', '/api/v1/auth/setup', { json: { username: 'ada', password: ADMIN_PASSWORD, displayName: 'Ada' } }),
      stack.call('POST', '/api/v1/auth/setup', { json: { username: 'mallory', password: ADMIN_PASSWORD } }),
    ]);
    // Two at once: one admin.
    expect([first.status, second.status].sort()).toEqual([200, 409]);
    const made = first.status === 200 ? first : second;
    const refused = first.status === 200 ? second : first;
    expect(refused.body.error.code).toBe('AUTH_SETUP_DONE');
    expect(made.headers['cache-control']).toBe('no-store');
    expect(made.body).toMatchObject({ tokenType: 'Bearer', user: { role: 'admin' } });
    expect(await stack.call('GET', '/api/v1/auth/setup')).toMatchObject({ status: 200, body: { needed: false } });
    const again = await stack.call('POST', '/api/v1/auth/setup', { json: { username: 'eve', password: ADMIN_PASSWORD } });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'AUTH_SETUP_DONE' } } });
    const users = await stack.call('GET', '/api/v1/users', bearer(made.body.accessToken));
    expect(users.status).toBe(200);
    expect(users.body.users).toHaveLength(1);
    // The one made can log in with its password.
    const username = made.body.user.username as string;
    expect(['ada', 'mallory']).toContain(username);
    adminName = username;
    admin = (await stack.login(username, ADMIN_PASSWORD)).accessToken;
    await stack.putUser('bob', PASSWORD, 'user');
    bob = (await stack.login('bob', PASSWORD)).accessToken;
    // A short password is refused before anything else.
    expect(await stack.call('POST', '/api/v1/auth/setup', { json: { username: 'x1', password: 'short' } })).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_BODY' } },
    });
  });

  it('answers 503 CONVERSATION_SERVICE_UNAVAILABLE / MODELS_SERVICE_UNAVAILABLE while those services do not answer', async () => {
    const sent = await stack.call('POST', '/api/v1/conversation/messages', { token: bob, json: { text: 'anyone there?' } });
    expect(sent).toMatchObject({ status: 503, body: { error: { code: 'CONVERSATION_SERVICE_UNAVAILABLE' } } });
    expect(sent.headers['retry-after']).toBe('5');
    expect(await stack.call('GET', '/api/v1/models', { token: admin })).toMatchObject({ status: 503, body: { error: { code: 'MODELS_SERVICE_UNAVAILABLE' } } });
    await startStandIns();
  });

  it("sends a message for the caller (never a user named in the body), answers the ids to follow, and the reply's events reach that user's sockets only", async () => {
    const [adaSocket, bobSocket] = await Promise.all([stack.connect(admin), stack.connect(bob)]);
    for (const socket of [adaSocket, bobSocket])
      expect(await socket.ask({ type: 'subscribe', topic: 'conversation.', id: 'c' })).toMatchObject({ type: 'subscribed' });
    for (const socket of [adaSocket, bobSocket]) expect(await socket.ask({ type: 'subscribe', topic: 'ui.', id: 'u' })).toMatchObject({ type: 'subscribed' });
    await Promise.all([speakUntilHeard(adaSocket, 'ada ready'), speakUntilHeard(bobSocket, 'bob ready')]);

    expect(await stack.call('POST', '/api/v1/conversation/messages', { token: admin, json: { text: 'hi', userId: 'bob' } })).toMatchObject({
      status: 400,
      body: { error: { code: 'INVALID_BODY' } },
    });
    const sent = await stack.call('POST', '/api/v1/conversation/messages', { token: admin, json: { text: 'Hello there', client: 'web' } });
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({
      threadId: `thread-of-${adminName}`,
      messageId: expect.stringMatching(/^message-/),
      replyId: expect.stringMatching(/^reply-/),
      correlationId: expect.any(String),
      thread: expect.objectContaining({ id: `thread-of-${adminName}`, ownerId: adminName }),
    });
    expect(received.at(-1)).toEqual({ topic: 'send', payload: { userId: adminName, threadId: '', text: 'Hello there', client: 'web' } });
    const second = await adaSocket.frames.next((frame) => isEvent('conversation.reply.delta')(frame) && payloadOf(frame)['sequence'] === '2');
    expect(payloadOf(second)).toMatchObject({ userId: adminName, replyId: sent.body.replyId, text: `${adminName}.` });
    const echoed = await adaSocket.frames.next(isEvent('conversation.message.received'));
    // The POST's answer and the event carry the same message id (a front end dedupes by it).
    expect(payloadOf(echoed)).toMatchObject({ id: sent.body.messageId, conversationId: `thread-of-${adminName}`, replyId: sent.body.replyId });
    await speakUntilHeard(bobSocket, 'bob sync');
    expect(bobSocket.frames.frames.filter((frame) => frame['type'] === 'event' && String(frame['topic']).startsWith('conversation.'))).toEqual([]);
    // A WebSocket cannot post a message (one way in: POST).
    expect(await adaSocket.ask({ type: 'publish', topic: 'conversation.message.received', payload: { text: 'sneaky' }, id: 'p' })).toMatchObject({
      type: 'error',
    });
    closeAll(adaSocket, bobSocket);
  });

  it('refuses an empty, blank or too long message with its own code, sending nothing', async () => {
    const before = received.length;
    for (const [text, code] of [
      ['', ConversationErrorCode.EmptyMessage],
      ['  \n\t ', ConversationErrorCode.EmptyMessage],
      ['x'.repeat(8001), ConversationErrorCode.MessageTooLong],
    ] as const) {
      const answer = await stack.call('POST', '/api/v1/conversation/messages', { token: bob, json: { text } });
      expect([text.length, answer.status, answer.body.error.code]).toEqual([text.length, 400, code]);
    }
    expect((await stack.call('POST', '/api/v1/conversation/messages', { token: bob, json: { text: 'x'.repeat(8000) } })).status).toBe(202);
    expect(received.slice(before).map((entry) => entry.topic)).toEqual(['send']);
  });

  it("answers another user's thread and an unknown one with 404 CONVERSATION_THREAD_NOT_FOUND on every route", async () => {
    for (const id of [`thread-of-${adminName}`, 'no-such-thread', 'x'.repeat(200)]) {
      for (const [method, path, json] of [
        ['POST', '/api/v1/conversation/messages', { text: 'hi', conversationId: id }],
        ['GET', `/api/v1/conversation/threads/${id}`, undefined],
        ['GET', `/api/v1/conversation/threads/${id}/messages`, undefined],
        ['GET', `/api/v1/conversation/threads/${id}/export`, undefined],
        ['POST', `/api/v1/conversation/threads/${id}/stop`, {}],
        ['POST', `/api/v1/conversation/threads/${id}/regenerate`, undefined],
        ['PATCH', `/api/v1/conversation/threads/${id}`, { title: 'mine now' }],
        ['DELETE', `/api/v1/conversation/threads/${id}`, undefined],
      ] as const) {
        const answer = await stack.call(method, path, { token: bob, ...(json ? { json } : {}) });
        // A 200-character id is not even a valid conversationId in the body (400): the point is it is never the thread.
        const expected =
          id.length > 128 && method === 'POST' && path.endsWith('messages') ? [400, 'INVALID_BODY'] : [404, ConversationErrorCode.ThreadNotFound];
        expect([method, path.slice(0, 60), answer.status, answer.body.error?.code]).toEqual([method, path.slice(0, 60), ...expected]);
      }
    }
    expect(await stack.call('GET', '/api/v1/conversation/threads/thread-of-bob', { token: bob })).toMatchObject({
      status: 200,
      body: { thread: { id: 'thread-of-bob' } },
    });
  });

  it('renames (a blank title is 400), regenerates (202 like a message) and deletes own threads (answering how many messages went)', async () => {
    for (const title of ['', '   ', 'x'.repeat(201)])
      expect((await stack.call('PATCH', '/api/v1/conversation/threads/thread-of-bob', { token: bob, json: { title } })).status).toBe(400);
    expect(await stack.call('PATCH', '/api/v1/conversation/threads/thread-of-bob', { token: bob, json: { title: ' Plans ' } })).toMatchObject({
      status: 200,
      body: { thread: { title: 'Plans' } },
    });
    expect(await stack.call('POST', '/api/v1/conversation/threads/thread-of-bob/regenerate', { token: bob })).toMatchObject({
      status: 202,
      body: { threadId: 'thread-of-bob', replyId: expect.stringMatching(/^reply-/), correlationId: expect.any(String) },
    });
    expect(await stack.call('DELETE', '/api/v1/conversation/threads/thread-of-bob', { token: bob })).toMatchObject({
      status: 200,
      body: { deletedMessages: 2 },
    });
  });

  it('refuses an empty fact (400) and answers an unknown one 404 CONVERSATION_FACT_NOT_FOUND', async () => {
    expect((await stack.call('PATCH', '/api/v1/memory/facts/f1', { token: bob, json: { text: ' ' } })).status).toBe(400);
    expect(await stack.call('PATCH', '/api/v1/memory/facts/f1', { token: bob, json: { text: 'likes tea' } })).toMatchObject({
      status: 404,
      body: { error: { code: ConversationErrorCode.FactNotFound } },
    });
  });

  it('stops a running reply (200 with its id), and answers a stop after the end with 409 CONVERSATION_REPLY_NOT_RUNNING', async () => {
    const sent = await stack.call('POST', '/api/v1/conversation/messages', { token: bob, json: { text: 'go on', conversationId: 'thread-of-bob' } });
    expect(sent.status).toBe(202);
    const stopped = await stack.call('POST', '/api/v1/conversation/threads/thread-of-bob/stop', { token: bob, json: { replyId: sent.body.replyId } });
    expect(stopped).toMatchObject({ status: 200, body: { replyId: sent.body.replyId } });
    expect(received.at(-1)).toEqual({ topic: 'stop', payload: { userId: 'bob', threadId: 'thread-of-bob', replyId: sent.body.replyId } });
    const again = await stack.call('POST', '/api/v1/conversation/threads/thread-of-bob/stop', { token: bob, json: { replyId: sent.body.replyId } });
    expect(again).toMatchObject({ status: 409, body: { error: { code: ConversationErrorCode.ReplyNotRunning } } });
  });

  it('lists threads and messages as the contract JSON, and exports a thread as a file to download', async () => {
    const threads = await stack.call('GET', '/api/v1/conversation/threads?limit=20', { token: bob });
    expect(threads).toMatchObject({ status: 200, body: { threads: [{ id: 'thread-of-bob', ownerId: 'bob', title: 'Hello there', messageCount: 2 }] } });
    expect(received.at(-1)).toEqual({ topic: 'list', payload: { userId: 'bob', limit: 20, pageToken: '' } });
    expect((await stack.call('GET', '/api/v1/conversation/threads?limit=0', { token: bob })).status).toBe(400);
    const messages = await stack.call('GET', '/api/v1/conversation/threads/thread-of-bob/messages', { token: bob });
    expect(messages.body.messages).toEqual([expect.objectContaining({ role: 'MESSAGE_ROLE_USER', status: 'MESSAGE_STATUS_COMPLETE', text: 'Hello there' })]);
    const markdown = await stack.call('GET', '/api/v1/conversation/threads/thread-of-bob/export', { token: bob });
    expect(markdown.status).toBe(200);
    expect(markdown.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(markdown.headers['content-disposition']).toBe(`attachment; filename="Hello there.md"; filename*=UTF-8''Hello%20there.md`);
    expect(markdown.body).toBe('# Hello there\n');
    const json = await stack.call('GET', '/api/v1/conversation/threads/thread-of-bob/export?format=json', { token: bob });
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(json.body).toEqual({ title: 'Hello there' });
    expect((await stack.call('GET', '/api/v1/conversation/threads/thread-of-bob/export?format=pdf', { token: bob })).status).toBe(400);
  });

  it('lets anyone logged in read the persona and only an admin change it, with its fields checked', async () => {
    expect(await stack.call('GET', '/api/v1/persona', { token: bob })).toMatchObject({ status: 200, body: { persona: { name: 'Aico' } } });
    const persona = { name: 'Aico', systemPrompt: 'You are Aico, kind and brief.', temperature: 0.7, expression: 'happy' };
    expect(await stack.call('PUT', '/api/v1/persona', { token: bob, json: persona })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    for (const bad of [
      { ...persona, temperature: 5 },
      { ...persona, expression: 'furious' },
      { ...persona, name: '' },
      { ...persona, systemPrompt: ' ' },
      { ...persona, topK: 0.5 },
      { ...persona, owner: 'x' },
    ]) {
      const answer = await stack.call('PUT', '/api/v1/persona', { token: admin, json: bad });
      expect([bad, answer.status, answer.body.error.code]).toEqual([bad, 400, 'INVALID_BODY']);
    }
    const changed = await stack.call('PUT', '/api/v1/persona', { token: admin, json: persona });
    expect(changed).toMatchObject({ status: 200, body: { persona: { name: 'Aico', expression: 'happy', updatedBy: adminName } } });
    expect(received.filter((entry) => entry.topic === 'persona')).toEqual([
      { topic: 'persona', payload: { name: 'Aico', temperature: expect.closeTo(0.7, 5), updatedBy: adminName } },
    ]);
  });

  it("answers the caller's memory with enabled always present", async () => {
    expect(await stack.call('GET', '/api/v1/memory', { token: bob })).toMatchObject({ status: 200, body: { enabled: false } });
    expect(await stack.call('GET', '/api/v1/memory', { token: admin })).toMatchObject({ status: 200, body: { enabled: false, summaries: 1 } });
  });

  it('shows the Models page with fits and status, lets only admins pull, and sends the pull progress to the puller only', async () => {
    const page = await stack.call('GET', '/api/v1/models', { token: bob });
    expect(page).toMatchObject({
      status: 200,
      body: { catalog: { models: [{ id: 'tiny' }], fits: [{ model: 'tiny', fits: true, requiredBytes: '10' }] }, status: { backend: 'llama.cpp' } },
    });
    expect(received.filter((entry) => entry.topic === 'models.list').at(-1)).toEqual({ topic: 'models.list', payload: { withFit: true } });
    expect(await stack.call('POST', '/api/v1/models/pull', { token: bob, json: { source: 'hf:a/b/c.gguf' } })).toMatchObject({ status: 403 });
    expect(await stack.call('POST', '/api/v1/models/pull', { token: admin, json: { source: 'hf:a/b/c.gguf', sha256: 'nope' } })).toMatchObject({ status: 400 });
    const [adaSocket, bobSocket] = await Promise.all([stack.connect(admin), stack.connect(bob)]);
    const started = await stack.call('POST', '/api/v1/models/pull', { token: admin, json: { source: 'hf:a/b/c.gguf' } });
    expect(started).toMatchObject({ status: 202, body: { pullId: expect.any(String) } });
    const done = await adaSocket.frames.next(isEvent('models.catalog.pull.completed'));
    expect(payloadOf(done)).toMatchObject({ pullId: started.body.pullId, model: { id: 'pulled', source: 'hf:a/b/c.gguf' } });
    const progress = adaSocket.frames.frames.filter(isEvent('models.catalog.pull.progress')).map(payloadOf);
    expect(progress).toEqual([
      { pullId: started.body.pullId, phase: 'downloading', doneBytes: '50', totalBytes: '100' },
      { pullId: started.body.pullId, phase: 'verifying', doneBytes: '100', totalBytes: '100' },
    ]);
    expect(bobSocket.frames.frames.filter((frame) => String(frame['topic']).startsWith('models.'))).toEqual([]);
    closeAll(adaSocket, bobSocket);
  });
});

function closeAll(...sockets: TestSocket[]): void {
  for (const socket of sockets) socket.socket.close();
}
