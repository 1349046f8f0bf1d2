// The conversation benchmark (`npm run bench:conversation`, issue 16): what the conversation path adds over a bare
// generation, on the ~100M-parameter bench model (run.mjs makes it). Not a test; JSON on stdout. Real bus, keys,
// storage, monitor (admitting everything: the path is measured, not the machine), models, conversation and gateway
// processes. In rounds that alternate their order (the machine may be busy with other work):
//   (a) `aico generate`'s path: the same chat (the persona's system prompt and the message) straight to the models
//       service over the bus as the cli identity (bus.requestStream), time to the first text delta;
//   (b) the conversation path: POST /api/v1/conversation/messages over HTTPS (keep-alive) → gateway → conversation
//       (thread, consent check, token count, prompt) → models → conversation → gateway → the WebSocket: time to the
//       first `conversation.reply.delta` text frame at the client, and to the avatar's first sentence
//       (`ui.avatar.speak` of that thread) — the reply is "abcdefghijklmnopqrstuvwxyz. ABC…", so its first sentence
//       is 28 tokens long — and to `conversation.reply.completed`.
// Usage: main.js <model.gguf> [rounds, default 7]
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import WebSocket from 'ws';
import { type BusClient } from '@aico/bus';
import { createTestClient, freeTcpPort, requestWhenRoutable } from '@aico/bus/testing';
import { ConversationTopics, JobClass, ModelPurpose, ModelsTopics, StorageTopics } from '@aico/contracts';
import { hashUserPassword } from '@aico/key-manager';
import { createServiceTestEnvironment } from '@aico/service/testing';
import { StorageClient } from '@aico/storage-client';
import { login, machine, median as medianOf, round as roundTo, startAdmittingMonitor, startBuiltApp } from '../support/bench-runtime';

const [modelPath, roundsText = '7'] = process.argv.slice(2);
if (!modelPath) throw new Error('usage: main.js <model.gguf> [rounds]');
const ROUNDS = Number(roundsText);
const PASSWORD = 'Bench-password-2026!';
const SYSTEM_PROMPT = 'You are Aico, a warm and concise companion.';
const MESSAGE = 'hello there';
/** Tokens per reply: past the first sentence (28 tokens), short enough to keep rounds quick. */
const REPLY_TOKENS = 40;
const DEADLINE_MS = 600_000;

const round = (value: number, digits = 1) => roundTo(value, digits);
const median = (values: readonly number[]) => medianOf(values, 1);

interface Frame {
  readonly type: string;
  readonly topic?: string;
  readonly payload?: Record<string, unknown>;
}

/** The one chat both the direct generation and the token count send. */
const CHAT_INPUT = {
  case: 'chat' as const,
  value: {
    messages: [
      { role: 'system', content: SYSTEM_PROMPT },
      { role: 'user', content: MESSAGE },
    ],
  },
};

/** (a): the chat straight to the models service, as `aico generate` sends it. */
async function direct(bus: BusClient): Promise<{ firstTokenMs: number; totalMs: number }> {
  const started = performance.now();
  let firstTokenMs = 0;
  await bus.requestStream(
    ModelsTopics.generate,
    {
      input: CHAT_INPUT,
      purpose: ModelPurpose.CHAT,
      maxTokens: REPLY_TOKENS,
      temperature: 0,
      jobClass: JobClass.INTERACTIVE,
    },
    {
      timeoutMs: DEADLINE_MS,
      onDelta: (delta) => {
        if (delta.kind.case === 'text' && delta.kind.value !== '' && firstTokenMs === 0) firstTokenMs = performance.now() - started;
      },
    },
  );
  return { firstTokenMs: round(firstTokenMs), totalMs: round(performance.now() - started) };
}

/** (c) pieces of the path on their own, from the cli identity: a token count of the same chat, a thread's messages. */
async function pieces(bus: BusClient, threadId: string): Promise<{ tokenCountMs: number; messagesListMs: number }> {
  let started = performance.now();
  await bus.request(
    ModelsTopics.tokensCount,
    {
      input: CHAT_INPUT,
      purpose: ModelPurpose.CHAT,
    },
    { timeoutMs: DEADLINE_MS },
  );
  const tokenCountMs = round(performance.now() - started);
  started = performance.now();
  await bus.request(ConversationTopics.messagesList, { userId: 'bench', threadId }, { timeoutMs: DEADLINE_MS });
  return { tokenCountMs, messagesListMs: round(performance.now() - started) };
}

class Conversation {
  private waiter: { match: (frame: Frame) => boolean; resolve: (frame: Frame) => void } | undefined;

  private constructor(
    private readonly socket: WebSocket,
    private readonly base: string,
    private readonly agent: Agent,
    private readonly ca: string,
    private readonly token: string,
  ) {
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      if (this.waiter?.match(frame)) this.waiter.resolve(frame);
    });
  }

  static async open(base: string, wsUrl: string, agent: Agent, ca: string, token: string): Promise<Conversation> {
    const socket = new WebSocket(wsUrl, ['aico.v1', `aico.bearer.${token}`], { ca });
    socket.on('error', (error) => console.error('websocket', error));
    await new Promise<void>((resolve) => socket.once('open', () => resolve()));
    const conversation = new Conversation(socket, base, agent, ca, token);
    for (const topic of ['conversation.', 'ui.avatar.']) {
      const subscribed = conversation.next((frame) => frame.type === 'subscribed');
      socket.send(JSON.stringify({ type: 'subscribe', topic, id: topic }));
      await subscribed;
    }
    return conversation;
  }

  next(match: (frame: Frame) => boolean): Promise<Frame> {
    return new Promise((resolve) => (this.waiter = { match, resolve }));
  }

  post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.base}${path}`,
        { method: 'POST', agent: this.agent, ca: this.ca, headers: { 'content-type': 'application/json', authorization: `Bearer ${this.token}` } },
        (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('error', reject);
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
  }

  /** (b): one message in a new thread, timed at the client until its completion. */
  lastThreadId = '';

  async send(): Promise<{ acceptedMs: number; firstTokenMs: number; firstSentenceMs: number; totalMs: number }> {
    const started = performance.now();
    const times = { acceptedMs: 0, firstTokenMs: 0, firstSentenceMs: 0 };
    let replyId: string | undefined;
    let threadId: string | undefined;
    const early: Frame[] = [];
    const done = new Promise<void>((resolve) => {
      const see = (frame: Frame): boolean => {
        if (!replyId) return (early.push(frame), false);
        const at = round(performance.now() - started);
        if (
          frame.topic === 'conversation.reply.delta' &&
          frame.payload?.['replyId'] === replyId &&
          typeof frame.payload['text'] === 'string' &&
          !times.firstTokenMs
        )
          times.firstTokenMs = at;
        if (frame.topic === 'ui.avatar.speak' && frame.payload?.['conversationId'] === threadId && !times.firstSentenceMs) times.firstSentenceMs = at;
        return frame.topic === 'conversation.reply.completed' && frame.payload?.['replyId'] === replyId;
      };
      this.waiter = { match: see, resolve: () => resolve() };
      const answer = this.post('/conversation/messages', { text: MESSAGE });
      void answer.then((accepted) => {
        if (accepted.status !== 202) throw new Error(`POST /conversation/messages answered ${accepted.status}: ${JSON.stringify(accepted.body)}`);
        times.acceptedMs = round(performance.now() - started);
        replyId = String(accepted.body['replyId']);
        threadId = String(accepted.body['threadId']);
        this.lastThreadId = threadId;
        // Frames that came before the POST's answer, seen again now that the reply's id is known.
        for (const frame of early.splice(0)) if (see(frame)) resolve();
      });
    });
    await done;
    return { ...times, totalMs: round(performance.now() - started) };
  }

  close(): void {
    this.socket.close();
  }
}

/** bus, keys and storage, then monitor (never holding the model back), models, conversation and the gateway. */
async function startApps(env: NodeJS.ProcessEnv, children: ChildProcess[]): Promise<void> {
  children.push(await startBuiltApp('bus', env, 120_000));
  children.push(...(await Promise.all([startBuiltApp('keys', env, 120_000), startBuiltApp('storage', env, 120_000)])));
  children.push(await startAdmittingMonitor(env, 120_000));
  children.push(
    await startBuiltApp(
      'models',
      {
        ...env,
        AICO_MODELS__GPU: 'cpu',
        AICO_MODELS__THREADS: '1',
        AICO_MODELS__MAX_CONTEXT_SIZE: '2048',
        AICO_MODELS__KEEP_ALIVE_MS: '3600000',
        AICO_MODELS__KEEP_ALIVE_ON_BATTERY_MS: '3600000',
      },
      120_000,
    ),
  );
  children.push(await startBuiltApp('conversation', env, 120_000));
  children.push(await startBuiltApp('gateway', env, 120_000));
}

/** The bench user, the bench model as the chat model, and a persona whose replies are REPLY_TOKENS long. */
async function prepare(cli: BusClient): Promise<void> {
  await requestWhenRoutable((timeoutMs) => cli.request(StorageTopics.databaseCheck, {}, { timeoutMs }), 120_000);
  await new StorageClient(cli).putRecord({
    kind: { case: 'user', value: { id: 'bench', username: 'bench', role: 'admin', passwordHash: await hashUserPassword(PASSWORD) } },
  });
  await requestWhenRoutable((timeoutMs) => cli.request(ModelsTopics.status, {}, { timeoutMs }), 120_000);
  await cli.request(ModelsTopics.catalogImport, { path: modelPath!, name: 'bench' }, { timeoutMs: DEADLINE_MS });
  await cli.request(ModelsTopics.catalogUse, { name: 'bench', purpose: ModelPurpose.CHAT }, { timeoutMs: DEADLINE_MS });
  await requestWhenRoutable(
    (timeoutMs) =>
      cli.request(
        ConversationTopics.personaUpdate,
        {
          persona: { id: 'default', name: 'Aico', systemPrompt: SYSTEM_PROMPT, temperature: 0, maxTokens: REPLY_TOKENS, expression: 'happy' },
          updatedBy: 'bench',
        },
        { timeoutMs },
      ),
    120_000,
  );
}

interface Row {
  readonly round: number;
  readonly loadAverage1m: number;
  readonly generate: Awaited<ReturnType<typeof direct>>;
  readonly conversation: Awaited<ReturnType<Conversation['send']>>;
  readonly pieces: Awaited<ReturnType<typeof pieces>>;
}

/** ROUNDS rounds of both paths, alternating which goes first so neither always meets a warmer machine. */
async function measure(cli: BusClient, chat: Conversation): Promise<Row[]> {
  const rows: Row[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const loadAverage1m = round(loadavg()[0]!, 2);
    let generate: Row['generate'];
    let through: Row['conversation'];
    if (r % 2 === 0) {
      generate = await direct(cli);
      through = await chat.send();
    } else {
      through = await chat.send();
      generate = await direct(cli);
    }
    rows.push({ round: r, loadAverage1m, generate, conversation: through, pieces: await pieces(cli, chat.lastThreadId) });
    process.stderr.write(`${JSON.stringify(rows.at(-1))}\n`);
  }
  return rows;
}

function report(rows: readonly Row[], loadAverageAtStart: number[]): string {
  const generateFirst = median(rows.map((row) => row.generate.firstTokenMs));
  const conversationFirst = median(rows.map((row) => row.conversation.firstTokenMs));
  const result = {
    benchmark: 'conversation path (gateway → conversation → models → WebSocket) against aico generate’s path (bus → models), bench model, 1 thread, greedy',
    machine: machine(),
    loadAverageAtStart,
    rounds: ROUNDS,
    replyTokens: REPLY_TOKENS,
    medians: {
      generateTimeToFirstTokenMs: generateFirst,
      conversationAcceptedMs: median(rows.map((row) => row.conversation.acceptedMs)),
      conversationTimeToFirstTokenMs: conversationFirst,
      addedToFirstTokenMs: round(conversationFirst - generateFirst),
      conversationTimeToFirstSentenceMs: median(rows.map((row) => row.conversation.firstSentenceMs)),
      generateTotalMs: median(rows.map((row) => row.generate.totalMs)),
      conversationTotalMs: median(rows.map((row) => row.conversation.totalMs)),
      tokenCountRoundTripMs: median(rows.map((row) => row.pieces.tokenCountMs)),
      messagesListRoundTripMs: median(rows.map((row) => row.pieces.messagesListMs)),
    },
    rows,
  };
  return JSON.stringify(result, null, 2);
}

async function main(): Promise<void> {
  const loadAverageAtStart = loadavg().map((value) => round(value, 2));
  const port = await freeTcpPort();
  const environment = await createServiceTestEnvironment('ipc', {
    AICO_LOG__LEVEL: 'warn',
    AICO_LOG__FILE: 'false',
    AICO_LOG__BUS_LEVEL: 'warn',
    AICO_GATEWAY__PORT: String(port),
    AICO_GATEWAY__RATE_LIMIT_PER_MINUTE: '10000000',
  });
  const env = { ...environment.env, AICO_LOG__LEVEL: 'info' };
  const children: ChildProcess[] = [];
  let bus: BusClient | undefined;
  let conversation: Conversation | undefined;
  try {
    await startApps(env, children);
    bus = createTestClient('cli', environment.keys, environment.endpoints, { requestTimeoutMs: DEADLINE_MS });
    await bus.connect();
    const cli = bus;
    await prepare(cli);

    const ca = await readFile(join(environment.dir, 'gateway', 'tls-cert.pem'), 'utf8');
    const base = `https://127.0.0.1:${port}/api/v1`;
    const agent = new Agent({ keepAlive: true, maxSockets: 4, ca });
    const token = await login(base, agent, ca, 'bench', PASSWORD);
    conversation = await Conversation.open(base, `wss://127.0.0.1:${port}/ws`, agent, ca, token);
    const chat = conversation;

    // Warm-up: the model's first load, TLS, JIT, the conversation service's first prompt.
    await direct(cli);
    await chat.send();
    console.log(report(await measure(cli, chat), loadAverageAtStart));
    agent.destroy();
  } finally {
    conversation?.close();
    await bus?.close({ drainTimeoutMs: 0 });
    for (const child of children.reverse()) child.kill('SIGTERM');
    await environment.cleanup();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
