// The built `aico chat` in its own process on the real bus (bus, keys and storage as real processes), against a
// stand-in conversation service at the edge that publishes a reply's events as the real one does: interactive at a
// terminal (a pseudo-terminal from util-linux `script`: the prompt, a reply, Ctrl-C stopping a reply and keeping the
// prompt, Ctrl-D leaving with 0), and one message given on the command line with Ctrl-C (SIGINT) stopping it (130).
// Every wait is for output or an exit, under a generous deadline.
import { spawn, type ChildProcess } from 'node:child_process';
import { type BusClient } from '@aico/bus';
import { createTestClient, requestWhenRoutable } from '@aico/bus/testing';
import { ConversationErrorCode, ConversationTopics, MessageStatus } from '@aico/contracts';
import { AICO_CLI, runAico } from '../support/aico-cli';
import { GatewayStack, STACK_START_TIMEOUT_MS } from '../support/gateway-stack';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

const PASSWORD = 'Chat-terminal-2026!';
const LONG = 'tell me a long story';
const PARTIAL = 'Once upon a time';

/** A process whose output (stdout and stderr together) a test waits on. */
class Watched {
  output = '';
  readonly exited: Promise<number | null>;
  private waiters: { text: string; since: number; resolve: () => void }[] = [];

  constructor(readonly child: ChildProcess) {
    const take = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      this.waiters = this.waiters.filter((waiter) => (this.output.indexOf(waiter.text, waiter.since) >= 0 ? (waiter.resolve(), false) : true));
    };
    child.stdout!.on('data', take);
    child.stderr!.on('data', take);
    child.on('error', (error) => void (this.output += `\n[spawn error: ${error.message}]`));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /**
   * Resolves with the offset just past `text` once it appears at or after `since` (not the end of the output: what
   * came in the same chunk after it is still to be waited for); rejects after the deadline showing the output.
   */
  waitFor(text: string, since = 0): Promise<number> {
    const found = () => {
      const at = this.output.indexOf(text, since);
      return at >= 0 ? at + text.length : undefined;
    };
    const now = found();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`"${text}" did not appear within ${SIGNAL_TIMEOUT_MS} ms; output:\n${this.output}`)), SIGNAL_TIMEOUT_MS);
      this.waiters.push({ text, since, resolve: () => (clearTimeout(timer), resolve(found()!)) });
    });
  }
}

describe('aico chat at a terminal (real bus, stand-in conversation service)', () => {
  let stack: GatewayStack;
  let conversation: BusClient;
  const stops: string[] = [];

  beforeAll(async () => {
    stack = await GatewayStack.start();
    await stack.putUser('ada', PASSWORD, 'admin');
    conversation = createTestClient('conversation', stack.environment.keys, stack.environment.endpoints);
    let replies = 0;
    const running = new Map<string, { userId: string; threadId: string }>();
    conversation.handle(ConversationTopics.messageSend, async ({ payload: { userId, threadId, text } }) => {
      const replyId = `reply-${++replies}`;
      const thread = threadId || 'thread-1';
      const options = { attributes: { user: userId } };
      if (text === LONG) {
        // Runs until stopped.
        running.set(replyId, { userId, threadId: thread });
        setImmediate(
          () =>
            void conversation.publish(
              ConversationTopics.replyDelta,
              { userId, threadId: thread, replyId, sequence: 1n, kind: { case: 'text', value: PARTIAL } },
              options,
            ),
        );
      } else {
        const answer = `You said: ${text}.`;
        setImmediate(() => {
          void (async () => {
            await conversation.publish(
              ConversationTopics.replyDelta,
              { userId, threadId: thread, replyId, sequence: 2n, kind: { case: 'text', value: `${text}.` } },
              options,
            );
            await conversation.publish(
              ConversationTopics.replyDelta,
              { userId, threadId: thread, replyId, sequence: 1n, kind: { case: 'text', value: 'You said: ' } },
              options,
            );
            await conversation.publish(
              ConversationTopics.replyCompleted,
              { userId, threadId: thread, replyId, status: MessageStatus.COMPLETE, text: answer, deltas: 2n },
              options,
            );
          })();
        });
      }
      return { thread: { id: thread, ownerId: userId, title: text }, message: { id: `message-${replies}`, threadId: thread, text }, replyId };
    });
    conversation.handle(ConversationTopics.replyStop, ({ payload: { userId, threadId, replyId } }) => {
      stops.push(replyId);
      if (!running.delete(replyId)) throw Object.assign(new Error('No reply is being written.'), { code: ConversationErrorCode.ReplyNotRunning });
      setImmediate(
        () =>
          void conversation.publish(
            ConversationTopics.replyCompleted,
            { userId, threadId, replyId, status: MessageStatus.STOPPED, text: PARTIAL, deltas: 1n },
            { attributes: { user: userId } },
          ),
      );
      return { replyId };
    });
    conversation.handle(ConversationTopics.threadsList, () => ({ threads: [] }));
    await conversation.connect();
    await requestWhenRoutable((timeoutMs) => stack.bus.request(ConversationTopics.threadsList, { userId: 'probe' }, { timeoutMs }), SIGNAL_TIMEOUT_MS);
  }, STACK_START_TIMEOUT_MS);

  afterAll(async () => {
    await conversation?.close({ drainTimeoutMs: 0 });
    await stack?.stop();
  });

  const env = () => ({ PATH: process.env['PATH'], ...stack.environment.env });

  it('answers one message given on the command line and exits 0', async () => {
    const run = await runAico(['chat', '--new', 'hello'], stack.environment.env);
    expect(run).toMatchObject({ code: 0, stdout: 'You said: hello.\n' });
  });

  it('stops the reply on Ctrl-C (SIGINT) and exits 130 with the partial text on stdout', async () => {
    const chat = new Watched(spawn(process.execPath, [AICO_CLI, 'chat', '--new', LONG], { env: env(), stdio: ['ignore', 'pipe', 'pipe'] }));
    await chat.waitFor(PARTIAL);
    const before = stops.length;
    chat.child.kill('SIGINT');
    expect(await chat.exited).toBe(130);
    expect(stops.length).toBe(before + 1);
    expect(chat.output).toContain('Stopping the reply');
  });

  it('converses at a terminal: a prompt, a reply, Ctrl-C stopping a reply and keeping the prompt, Ctrl-D leaving with 0', async () => {
    // `script` runs the command on a pseudo-terminal: stdin is a TTY, so the chat is interactive; what we write is typed.
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(AICO_CLI)} chat --new`;
    const terminal = new Watched(spawn('script', ['-qfec', command, '/dev/null'], { env: { ...env(), TERM: 'dumb' }, stdio: ['pipe', 'pipe', 'pipe'] }));
    const type = (keys: string) => terminal.child.stdin!.write(keys);
    let at = await terminal.waitFor('>>> ');
    type('hi there\r');
    at = await terminal.waitFor('You said: hi there.', at);
    at = await terminal.waitFor('>>> ', at);
    const before = stops.length;
    type(`${LONG}\r`);
    at = await terminal.waitFor(PARTIAL, at);
    type('\x03');
    at = await terminal.waitFor('(stopped)', at);
    expect(stops.length).toBe(before + 1);
    await terminal.waitFor('>>> ', at);
    type('\x04');
    expect(await terminal.exited).toBe(0);
  });
});
