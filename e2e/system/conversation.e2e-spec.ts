// The companion answers in the whole supervised system (issue 16), as a person uses it through the gateway: a message
// POSTed → the reply's deltas over the WebSocket, in order, then its completion, and the stored thread says the same;
// the thread is listed again after the whole system is stopped and started; a reply stopped mid-way keeps its partial
// text marked stopped and the models process falls back to idle; the conversation app and the models app are each
// killed with SIGKILL mid-reply → the user sees a clear error on the WebSocket and the next message works. Nothing
// waits for time: every step waits for an event, an answer or a state under a generous deadline.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { cpuTicks } from '../models/models-stack';
import { startSystemWithChatModel } from '../support/chat-system';
import { speakUntilHeard, type Frame, type GatewayClient, type TestSocket } from '../support/gateway-client';
import type { RunningSystem, SupervisedAppStatus } from '../support/system';
import { eventually } from '../support/system-bus';

const PASSWORD = 'Conversation-system-2026!';
const ADA = { username: 'ada', password: 'Ada-lovelace-2026!', role: 'admin' } as const;
/** Setup, start, a restart of everything and two SIGKILLs each waited out: minutes on a loaded machine. */
const TEST_MS = 900_000;
const STATE_TIMEOUT_MS = 300_000;
/** The interval over which the models process's CPU time is read after a stop (a measurement, not a wait). */
const IDLE_INTERVAL_MS = 3_000;
/** CPU ticks (1/100 s) an idle models process may use in IDLE_INTERVAL_MS: 10 % of a core; generating uses all of one. */
const IDLE_TICKS = 30;
/** Replies long enough to be running when their first delta arrives (the test model never ends on its own). */
const LONG_REPLY_TOKENS = 3_000;

type Payload = Record<string, unknown>;
const payloadOf = (frame: Frame): Payload => frame['payload'] as Payload;

describe('the companion answering in the whole system', () => {
  let base: string;
  let system: RunningSystem | undefined;
  let api: GatewayClient;
  let token: string;
  let socket: TestSocket | undefined;

  const login = async () => {
    const answer = await api.call('POST', '/api/v1/auth/login', { json: { username: ADA.username, password: ADA.password } });
    expect(answer.status).toBe(200);
    return answer.body.accessToken as string;
  };

  /** A socket following the user's conversation and avatar events, once the gateway relays them (a barrier). */
  const follow = async (): Promise<TestSocket> => {
    socket?.socket.close();
    const opened = await api.connect(token);
    expect(await opened.ask({ type: 'subscribe', topic: 'conversation.', id: 'c' })).toMatchObject({ type: 'subscribed' });
    expect(await opened.ask({ type: 'subscribe', topic: 'ui.', id: 'u' })).toMatchObject({ type: 'subscribed' });
    await speakUntilHeard(opened, 'barrier');
    socket = opened;
    return opened;
  };

  const send = async (text: string, conversationId?: string) => {
    const answer = await api.call('POST', '/api/v1/conversation/messages', { token, json: { text, ...(conversationId ? { conversationId } : {}) } });
    expect(answer.status).toBe(202);
    return answer.body as { threadId: string; messageId: string; replyId: string };
  };

  const completion = (replyId: string, timeoutMs = STATE_TIMEOUT_MS) =>
    socket!.frames.next((frame) => frame['topic'] === 'conversation.reply.completed' && payloadOf(frame)['replyId'] === replyId, timeoutMs);
  const firstDelta = (replyId: string) =>
    socket!.frames.next(
      (frame) => frame['topic'] === 'conversation.reply.delta' && payloadOf(frame)['replyId'] === replyId && typeof payloadOf(frame)['text'] === 'string',
      STATE_TIMEOUT_MS,
    );
  const deltasOf = (replyId: string) =>
    socket!.frames.frames.filter((frame) => frame['topic'] === 'conversation.reply.delta' && payloadOf(frame)['replyId'] === replyId);
  const restartedAfter = (name: string, before: SupervisedAppStatus) =>
    eventually(
      async () => {
        const app = await system!.app(name);
        return app.state === 'ready' && app.pid !== before.pid ? app : undefined;
      },
      `${name} restarted and ready`,
      STATE_TIMEOUT_MS,
    );

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'aico-conversation-system-'));
    ({ system, api } = await startSystemWithChatModel(base, { password: PASSWORD, users: [ADA] }));
    token = await login();
    await follow();
  }, STATE_TIMEOUT_MS);

  afterAll(async () => {
    socket?.socket.close();
    await system?.stop();
    await rm(base, { recursive: true, force: true });
  }, 180_000);

  let threadId: string;

  it(
    'answers a message with ordered deltas over the WebSocket, then the completion; the stored thread holds both turns',
    async () => {
      const persona = await api.call('PUT', '/api/v1/persona', {
        token,
        json: { name: 'Aico', systemPrompt: 'You are Aico.', temperature: 0, maxTokens: 24, expression: 'happy' },
      });
      expect(persona.status).toBe(200);
      const sent = await send('Hello there');
      threadId = sent.threadId;
      const done = payloadOf(await completion(sent.replyId));
      expect(done).toMatchObject({ status: 'MESSAGE_STATUS_COMPLETE', threadId, replyId: sent.replyId });
      const texts = deltasOf(sent.replyId).filter((frame) => typeof payloadOf(frame)['text'] === 'string');
      expect(texts.length).toBeGreaterThan(1);
      // In order: sequence numbers 1, 2, … without gaps, and together exactly the stored text.
      const sequences = deltasOf(sent.replyId).map((frame) => Number(payloadOf(frame)['sequence']));
      expect(sequences).toEqual(sequences.map((_, index) => index + 1));
      const streamed = texts.map((frame) => payloadOf(frame)['text']).join('');
      expect(streamed).toBe(done['text']);
      expect(streamed.length).toBeGreaterThan(0);

      const messages = await api.call('GET', `/api/v1/conversation/threads/${threadId}/messages`, { token });
      expect(messages.status).toBe(200);
      expect(messages.body.messages).toEqual([
        expect.objectContaining({ role: 'MESSAGE_ROLE_USER', text: 'Hello there', status: 'MESSAGE_STATUS_COMPLETE' }),
        expect.objectContaining({ id: sent.replyId, role: 'MESSAGE_ROLE_ASSISTANT', text: streamed, status: 'MESSAGE_STATUS_COMPLETE', model: 'tiny' }),
      ]);
    },
    TEST_MS,
  );

  it(
    'lists the thread again after the whole system is stopped and started',
    async () => {
      socket?.socket.close();
      socket = undefined;
      await system!.aico(['stop']);
      await system!.aico(['start', '--detach']);
      token = await login();
      const threads = await eventually(
        async () => {
          const answer = await api.call('GET', '/api/v1/conversation/threads', { token });
          return answer.status === 200 ? answer.body : undefined;
        },
        'the threads listed after the restart',
        STATE_TIMEOUT_MS,
      );
      expect(threads.threads).toEqual([expect.objectContaining({ id: threadId, title: 'Hello there' })]);
      const messages = await api.call('GET', `/api/v1/conversation/threads/${threadId}/messages`, { token });
      expect(messages.body.messages).toHaveLength(2);
      await follow();
    },
    TEST_MS,
  );

  it(
    'stops a reply mid-way: the partial text is kept and marked stopped, and the models process falls back to idle',
    async () => {
      expect(
        (
          await api.call('PUT', '/api/v1/persona', {
            token,
            json: { name: 'Aico', systemPrompt: 'You are Aico.', temperature: 0, maxTokens: LONG_REPLY_TOKENS, expression: 'happy' },
          })
        ).status,
      ).toBe(200);
      const sent = await send('Tell me a long story', threadId);
      await firstDelta(sent.replyId);
      const stopped = await api.call('POST', `/api/v1/conversation/threads/${threadId}/stop`, { token, json: {} });
      expect(stopped.status).toBe(200);
      const done = payloadOf(await completion(sent.replyId));
      expect(done).toMatchObject({ status: 'MESSAGE_STATUS_STOPPED' });
      const partial = String(done['text']);
      expect(partial.length).toBeGreaterThan(0);
      const stored = (await api.call('GET', `/api/v1/conversation/threads/${threadId}/messages`, { token })).body.messages.find(
        (message: Payload) => message['id'] === sent.replyId,
      );
      expect(stored).toMatchObject({ status: 'MESSAGE_STATUS_STOPPED', text: partial });
      // A stop for the reply that has ended is its own error.
      const again = await api.call('POST', `/api/v1/conversation/threads/${threadId}/stop`, { token, json: { replyId: sent.replyId } });
      expect(again).toMatchObject({ status: 409, body: { error: expect.objectContaining({ code: 'CONVERSATION_REPLY_NOT_RUNNING' }) } });

      const pid = (await system!.app('models')).pid;
      const before = await cpuTicks(pid);
      await delay(IDLE_INTERVAL_MS);
      expect((await cpuTicks(pid)) - before).toBeLessThanOrEqual(IDLE_TICKS);
    },
    TEST_MS,
  );

  it.each(['conversation', 'models'])(
    'tells the user clearly when the %s app is killed mid-reply, and the next message works',
    async (name) => {
      // The pid first: asking the supervisor (`aico status`) can take longer on a loaded machine than the reply lasts.
      const before = await system!.app(name);
      const sent = await send(`A long answer while ${name} dies`, threadId);
      await firstDelta(sent.replyId);
      process.kill(before.pid, 'SIGKILL');
      const done = payloadOf(await completion(sent.replyId));
      expect(done).toMatchObject({
        status: 'MESSAGE_STATUS_FAILED',
        errorCode: name === 'models' ? 'CONVERSATION_MODELS_UNAVAILABLE' : 'CONVERSATION_INTERRUPTED',
      });
      expect(String(done['errorMessage']).length).toBeGreaterThan(10);
      await restartedAfter(name, before);

      expect(
        (
          await api.call('PUT', '/api/v1/persona', {
            token,
            json: { name: 'Aico', systemPrompt: 'You are Aico.', temperature: 0, maxTokens: 12, expression: 'happy' },
          })
        ).status,
      ).toBe(200);
      const next = await eventually(
        async () => {
          const answer = await api.call('POST', '/api/v1/conversation/messages', { token, json: { text: 'Are you back?', conversationId: threadId } });
          return answer.status === 202 ? (answer.body as { replyId: string }) : undefined;
        },
        'a message accepted after the restart',
        STATE_TIMEOUT_MS,
      );
      expect(payloadOf(await completion(next.replyId))).toMatchObject({ status: 'MESSAGE_STATUS_COMPLETE' });
      expect(
        (
          await api.call('PUT', '/api/v1/persona', {
            token,
            json: { name: 'Aico', systemPrompt: 'You are Aico.', temperature: 0, maxTokens: LONG_REPLY_TOKENS, expression: 'happy' },
          })
        ).status,
      ).toBe(200);
    },
    TEST_MS,
  );
});
