// `aico chat` in the whole supervised system, as a person at a terminal uses it (issue 16): the built command in its
// own process, over the real bus, to the real conversation app and models app with a generated model. A message on
// the command line is answered once on stdout and the command exits 0; the thread is listed and continued; a message
// piped into stdin is answered too; Ctrl-C during a reply stops it (exit 130) and the stored reply keeps its partial
// text marked stopped; with two users the command asks which, naming them. Every step waits for an answer, an exit or
// output under a generous deadline.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AICO_CLI, runAico, type CliRun } from '../support/aico-cli';
import { startSystemWithChatModel } from '../support/chat-system';
import type { GatewayClient } from '../support/gateway-client';
import type { RunningSystem } from '../support/system';

const PASSWORD = 'Chat-system-2026!';
const ADA = { username: 'ada', password: 'Ada-lovelace-2026!', role: 'admin' } as const;
const BOB = { username: 'bob', password: 'Bob-builder-2026!', role: 'user' } as const;
const STATE_TIMEOUT_MS = 300_000;
/** Setup, start and a few replies of a tiny model on a loaded machine. */
const TEST_MS = 600_000;
/** A reply long enough to be running when its first text reaches the terminal (the test model never ends on its own). */
const LONG_REPLY_TOKENS = 3_000;
const SHORT_REPLY_TOKENS = 16;

describe('aico chat in the whole system', () => {
  let base: string;
  let system: RunningSystem | undefined;
  let api: GatewayClient;
  let adminToken: string;

  const chat = (args: readonly string[], input = ''): Promise<CliRun> => runAico(['chat', ...args], system!.env, input);
  const persona = async (maxTokens: number) => {
    const answer = await api.call('PUT', '/api/v1/persona', {
      token: adminToken,
      json: { name: 'Aico', systemPrompt: 'You are Aico.', temperature: 0, maxTokens, expression: 'neutral' },
    });
    expect(answer.status).toBe(200);
  };

  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'aico-chat-system-'));
    ({ system, api } = await startSystemWithChatModel(base, { password: PASSWORD, users: [ADA] }));
    const login = await api.call('POST', '/api/v1/auth/login', { json: { username: ADA.username, password: ADA.password } });
    expect(login.status).toBe(200);
    adminToken = login.body.accessToken as string;
  }, STATE_TIMEOUT_MS);

  afterAll(async () => {
    await system?.stop();
    await rm(base, { recursive: true, force: true });
  }, 180_000);

  let threadId: string;

  it(
    'answers a message given on the command line as the only user, lists the thread, and continues it',
    async () => {
      await persona(SHORT_REPLY_TOKENS);
      const first = await chat(['--new', 'Hello there']);
      expect(first).toMatchObject({ code: 0 });
      expect(first.stdout.trim().length).toBeGreaterThan(0);
      const listed = await chat(['--list']);
      expect(listed.code).toBe(0);
      const [line] = listed.stdout.trim().split('\n');
      expect(line).toMatch(/^\S+\t\S+\t2 messages\tHello there$/);
      threadId = line!.split('\t')[0]!;
      const again = await chat(['--thread', threadId, 'Tell me more']);
      expect(again.code).toBe(0);
      // The stored thread holds the four turns, the replies as the terminal showed them.
      const messages = await api.call('GET', `/api/v1/conversation/threads/${threadId}/messages`, { token: adminToken });
      expect(messages.body.messages.map((message: { role: string; status: string }) => [message.role, message.status])).toEqual([
        ['MESSAGE_ROLE_USER', 'MESSAGE_STATUS_COMPLETE'],
        ['MESSAGE_ROLE_ASSISTANT', 'MESSAGE_STATUS_COMPLETE'],
        ['MESSAGE_ROLE_USER', 'MESSAGE_STATUS_COMPLETE'],
        ['MESSAGE_ROLE_ASSISTANT', 'MESSAGE_STATUS_COMPLETE'],
      ]);
      expect(`${messages.body.messages[1].text}\n`).toBe(first.stdout);
      expect(`${messages.body.messages[3].text}\n`).toBe(again.stdout);
    },
    TEST_MS,
  );

  it(
    'answers a message piped into stdin, continuing the most recent thread',
    async () => {
      const piped = await chat([], 'What did I say?\n');
      expect(piped.code).toBe(0);
      expect(piped.stdout.trim().length).toBeGreaterThan(0);
      const thread = await api.call('GET', `/api/v1/conversation/threads/${threadId}`, { token: adminToken });
      expect(thread.body.thread.messageCount).toBe(6);
    },
    TEST_MS,
  );

  it(
    'stops the reply on Ctrl-C: exit 130, the partial text on screen and stored, marked stopped',
    async () => {
      await persona(LONG_REPLY_TOKENS);
      const child = spawn(process.execPath, [AICO_CLI, 'chat', '--thread', threadId, 'Tell me a long story'], {
        env: { PATH: process.env['PATH'], ...system!.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      // The first text of the reply on the terminal: then Ctrl-C.
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8');
          if (stdout.length > 0) resolve();
        });
        child.once('error', reject);
        void exited.then((code) => reject(new Error(`aico chat exited ${code} before any reply text:\n${stderr}`)));
      });
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(stderr).toContain('Stopping the reply');
      const messages = await api.call('GET', `/api/v1/conversation/threads/${threadId}/messages`, { token: adminToken });
      const reply = messages.body.messages.at(-1) as { role: string; status: string; text: string };
      expect(reply).toMatchObject({ role: 'MESSAGE_ROLE_ASSISTANT', status: 'MESSAGE_STATUS_STOPPED' });
      expect(reply.text.length).toBeGreaterThan(0);
      expect(stdout.trim()).toBe(reply.text.trim());
      await persona(SHORT_REPLY_TOKENS);
    },
    TEST_MS,
  );

  it(
    "refuses another user's thread (66) and, with two users, asks which one (64), naming them",
    async () => {
      await system!.aico(['users', 'add', BOB.username, '--role', BOB.role, '--password-stdin'], `${BOB.password}\n`);
      const which = await chat(['--new', 'hi']);
      expect(which.code).toBe(64);
      expect(which.stderr).toContain('choose one with --user NAME (ada, bob)');
      const foreign = await chat(['--user', 'bob', '--thread', threadId, 'hi']);
      expect(foreign.code).toBe(66);
      expect(foreign.stderr).toContain('CONVERSATION_THREAD_NOT_FOUND');
      expect((await chat(['--user', 'bob', '--list'])).stdout).toContain('No threads yet');
    },
    TEST_MS,
  );
});
