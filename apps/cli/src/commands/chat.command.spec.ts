// `aico chat` against stand-in conversation and storage services on a real CURVE bus: the reply printed in sequence
// order whatever order its deltas arrive in (and when they overtake the send's answer), another user's deltas left
// out, Ctrl-C stopping the reply, the user chosen or asked for, threads listed, and the exit code of each failure.
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { BusErrorCode } from '@aico/bus';
import { TestBus, type TestClient } from '@aico/bus/testing';
import { baseConfigSchema, loadConfig } from '@aico/config';
import {
  ConversationErrorCode,
  ConversationTopics,
  MessageStatus,
  ModelsErrorCode,
  PublicError,
  RecordKind,
  StorageTopics,
  type ReplyDelta,
} from '@aico/contracts';
import { KeyManager } from '@aico/key-manager';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import type { CliContext } from '../cli-context';
import { runCli } from '../cli-program';
import { conversationExitCode, ExitCode } from '../exit-codes';
import { INTERRUPTED_EXIT } from './chat.command';

class StandInError extends PublicError {}

const THREAD = { id: 'thread-1', ownerId: 'ada', title: 'Greetings', messageCount: 2, updatedAt: timestampFromDate(new Date('2026-12-01T10:00:00Z')) };

type DeltaInit = { sequence: bigint; text: string; userId?: string };
interface Script {
  /** Published before the send answers (they overtake its answer). */
  before: DeltaInit[];
  /** Published after it answers; `undefined` ends the script without completing (the reply waits to be stopped). */
  after: DeltaInit[];
  complete?: { text: string; status: MessageStatus; errorCode?: string; errorMessage?: string } | undefined;
  refuse?: StandInError;
}

describe('aico chat', () => {
  let environment: ServiceTestEnvironment;
  let bus: TestBus;
  let conversation: TestClient;
  let context: CliContext;
  let users: { id: string; username: string; role: string; disabled?: boolean }[];
  let script: Script;
  let written = '';
  let out: string[] = [];
  let progress: string[] = [];
  let errors: string[] = [];
  let onWrite: (text: string) => void = () => undefined;
  const requests: { topic: string; payload: Record<string, unknown> }[] = [];

  const delta = (replyId: string, init: DeltaInit): ReplyDelta =>
    ({ userId: init.userId ?? 'ada', threadId: THREAD.id, replyId, sequence: init.sequence, kind: { case: 'text', value: init.text } }) as ReplyDelta;
  const completeReply = (replyId: string, userId = 'ada') =>
    void conversation.publish(ConversationTopics.replyCompleted, {
      userId,
      threadId: THREAD.id,
      replyId,
      status: script.complete!.status,
      text: script.complete!.text,
      errorCode: script.complete!.errorCode ?? '',
      errorMessage: script.complete!.errorMessage ?? '',
    });

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('ipc', { AICO_LOG__FILE: 'false' });
    bus = await new TestBus({ transport: 'ipc', keys: environment.keys }).start();
    const storage = bus.client('storage');
    storage.handle(StorageTopics.recordGet, (request) => {
      const user = users.find((candidate) => candidate.id === request.payload.id);
      return user && request.payload.kind === RecordKind.USER
        ? { found: true, record: { kind: { case: 'user' as const, value: { ...user, displayName: '', passwordHash: 'x', disabled: user.disabled ?? false } } } }
        : { found: false };
    });
    storage.handle(StorageTopics.recordList, () => ({
      records: users.map((user) => ({
        kind: { case: 'user' as const, value: { ...user, displayName: '', passwordHash: 'x', disabled: user.disabled ?? false } },
      })),
      nextId: '',
    }));
    conversation = bus.client('conversation');
    let replies = 0;
    conversation.handle(ConversationTopics.messageSend, async (request) => {
      const { userId, threadId, text, client } = request.payload;
      requests.push({ topic: request.topic, payload: { userId, threadId, text, client } });
      if (script.refuse) throw script.refuse;
      const replyId = `reply-${++replies}`;
      for (const init of script.before) await conversation.publish(ConversationTopics.replyDelta, delta(replyId, init));
      setImmediate(() => {
        void (async () => {
          for (const init of script.after) await conversation.publish(ConversationTopics.replyDelta, delta(replyId, init));
          if (script.complete && script.complete.status !== MessageStatus.STOPPED) completeReply(replyId);
        })();
      });
      return { thread: { ...THREAD, id: threadId || 'thread-new' }, message: { id: `message-${replies}`, threadId: THREAD.id, text }, replyId };
    });
    conversation.handle(ConversationTopics.replyStop, (request) => {
      const { userId, threadId, replyId } = request.payload;
      requests.push({ topic: request.topic, payload: { userId, threadId, replyId } });
      setImmediate(() => completeReply(replyId));
      return { replyId };
    });
    conversation.handle(ConversationTopics.threadsList, (request) => {
      requests.push({ topic: request.topic, payload: { userId: request.payload.userId, limit: request.payload.limit } });
      return {
        threads: request.payload.userId === 'ada' ? [THREAD, { ...THREAD, id: 'thread-0', title: '', messageCount: 4 }].slice(0, request.payload.limit) : [],
      };
    });
    conversation.handle(ConversationTopics.threadGet, (request) => {
      requests.push({ topic: request.topic, payload: { userId: request.payload.userId, threadId: request.payload.threadId } });
      if (request.payload.threadId !== THREAD.id || request.payload.userId !== 'ada')
        throw new StandInError(ConversationErrorCode.ThreadNotFound, 'You have no such thread.');
      return { thread: THREAD };
    });
    await Promise.all([storage.connect(), conversation.connect()]);
    const env = { ...environment.env, AICO_BUS__PUBLISH_ENDPOINT: bus.publishEndpoint, AICO_BUS__SUBSCRIBE_ENDPOINT: bus.subscribeEndpoint };
    const { config } = loadConfig({ schema: baseConfigSchema, env });
    context = {
      config,
      keyManager: new KeyManager({ dataDir: config.dataDir }),
      out: (line) => out.push(line),
      progress: (line) => progress.push(line),
      write: (text) => {
        written += text;
        onWrite(text);
      },
    };
  });
  beforeEach(() => {
    requests.length = 0;
    written = '';
    out = [];
    progress = [];
    errors = [];
    onWrite = () => undefined;
    users = [{ id: 'ada', username: 'ada', role: 'admin' }];
    script = { before: [], after: [], complete: { text: '', status: MessageStatus.COMPLETE } };
  });
  afterAll(async () => {
    await bus.stop();
    await environment.cleanup();
  });

  const aico = (...args: string[]) =>
    runCli(
      ['node', 'aico', ...args],
      () => context,
      (text) => void errors.push(text),
    );

  it('prints the reply in sequence order whatever order its deltas arrive in, also when they overtake the answer to the send', async () => {
    script = {
      before: [
        { sequence: 3n, text: 'are you' },
        { sequence: 1n, text: 'Hello, ' },
      ],
      after: [
        { sequence: 4n, text: '?' },
        { sequence: 2n, text: 'how ' },
      ],
      complete: { text: 'Hello, how are you?', status: MessageStatus.COMPLETE },
    };
    expect(await aico('chat', '--new', 'hi', 'there')).toBe(ExitCode.Ok);
    expect(written).toBe('Hello, how are you?\n');
    expect(requests).toEqual([{ topic: 'conversation.message.send', payload: { userId: 'ada', threadId: '', text: 'hi there', client: 'cli' } }]);
    expect(errors).toEqual([]);
  });

  it("leaves out another user's deltas, and fills in from the stored text what never came as a delta", async () => {
    script = {
      before: [],
      after: [
        { sequence: 1n, text: 'Sec', userId: 'bob' },
        { sequence: 1n, text: 'One ' },
        { sequence: 3n, text: 'three' },
      ],
      complete: { text: 'One two three', status: MessageStatus.COMPLETE },
    };
    expect(await aico('chat', '--new', 'count')).toBe(ExitCode.Ok);
    expect(written).toBe('One two three\n');
  });

  it("continues the most recent thread by default, and the one named by --thread (after checking it is the user's)", async () => {
    script.complete = { text: 'ok', status: MessageStatus.COMPLETE };
    expect(await aico('chat', 'again')).toBe(ExitCode.Ok);
    expect(requests.map((request) => [request.topic, request.payload['threadId'] ?? request.payload['limit']])).toEqual([
      ['conversation.threads.list', 1],
      ['conversation.message.send', 'thread-1'],
    ]);
    requests.length = 0;
    expect(await aico('chat', '--thread', 'thread-1', 'more')).toBe(ExitCode.Ok);
    expect(requests.map((request) => [request.topic, request.payload['threadId']])).toEqual([
      ['conversation.threads.get', 'thread-1'],
      ['conversation.message.send', 'thread-1'],
    ]);
  });

  it("exits 66 for a thread that is not the user's, sending nothing", async () => {
    expect(await aico('chat', '--thread', 'someone-elses', 'hi')).toBe(ExitCode.NoInput);
    expect(errors.join('')).toContain('You have no such thread. (CONVERSATION_THREAD_NOT_FOUND)');
    expect(requests.map((request) => request.topic)).toEqual(['conversation.threads.get']);
  });

  it('stops the reply on Ctrl-C: the stop names the reply, the partial text stays on screen, exit 130', async () => {
    script = { before: [], after: [{ sequence: 1n, text: 'Once upon a time' }], complete: { text: 'Once upon a time', status: MessageStatus.STOPPED } };
    onWrite = (text) => {
      if (text.includes('Once upon')) process.emit('SIGINT');
    };
    // The command ends normally with the shell's code for an interrupted command (process.exitCode).
    expect(await aico('chat', '--new', 'tell me a story')).toBe(ExitCode.Ok);
    expect(process.exitCode).toBe(INTERRUPTED_EXIT);
    process.exitCode = undefined;
    expect(written).toBe('Once upon a time\n');
    expect(requests.at(-1)).toEqual({
      topic: 'conversation.reply.stop',
      payload: { userId: 'ada', threadId: 'thread-new', replyId: expect.stringMatching(/^reply-/) },
    });
    expect(progress.join('\n')).toContain('Stopping the reply');
  });

  it('exits with the code of a failed reply (no model: 66) and says why', async () => {
    script.complete = {
      text: '',
      status: MessageStatus.FAILED,
      errorCode: ConversationErrorCode.NoModel,
      errorMessage: 'No model is installed: "aico models pull" or import one.',
    };
    expect(await aico('chat', '--new', 'hi')).toBe(ExitCode.NoInput);
    expect(errors.join('')).toContain('The reply failed: No model is installed: "aico models pull" or import one. (CONVERSATION_NO_MODEL)');
  });

  it('exits with the code of a refused message (a reply in progress: 75; an empty one: 64, never sent)', async () => {
    script.refuse = new StandInError(ConversationErrorCode.ReplyInProgress, 'A reply is still being written in this thread.');
    expect(await aico('chat', '--new', 'hi')).toBe(ExitCode.TryLater);
    expect(errors.join('')).toContain('(CONVERSATION_REPLY_IN_PROGRESS)');
    requests.length = 0;
    expect(await aico('chat', '--new', '   ')).toBe(ExitCode.Usage);
    expect(requests.filter((request) => request.topic === 'conversation.message.send')).toEqual([]);
  });

  it('chats as the only user without --user; with several it asks which, listing them; with none it says how to make one', async () => {
    users = [
      { id: 'ada', username: 'ada', role: 'admin' },
      { id: 'bob', username: 'bob', role: 'user' },
    ];
    expect(await aico('chat', '--list')).toBe(ExitCode.Usage);
    expect(errors.join('')).toContain('There are 2 users: choose one with --user NAME (ada, bob).');
    errors = [];
    expect(await aico('chat', '--user', 'bob', '--list')).toBe(ExitCode.Ok);
    expect(out).toEqual(['No threads yet: "aico chat" starts one.']);
    expect(await aico('chat', '--user', 'carol', '--list')).toBe(ExitCode.NoInput);
    users = [];
    expect(await aico('chat', '--list')).toBe(ExitCode.NoInput);
    expect(errors.join('')).toContain('There is no user yet');
  });

  it("lists the user's threads, newest first, with id, time, size and title", async () => {
    expect(await aico('chat', '--list')).toBe(ExitCode.Ok);
    expect(out).toEqual(['thread-1\t2026-12-01T10:00:00Z\t2 messages\tGreetings', 'thread-0\t2026-12-01T10:00:00Z\t4 messages\t(untitled)']);
    expect(requests).toEqual([{ topic: 'conversation.threads.list', payload: { userId: 'ada', limit: 100 } }]);
  });

  it('refuses --thread with --new', async () => {
    expect(await aico('chat', '--new', '--thread', 'thread-1', 'hi')).toBe(ExitCode.Usage);
  });

  it('has an exit code for every conversation error code, and the models codes a reply can fail with', () => {
    const codes = Object.fromEntries(Object.values(ConversationErrorCode).map((code) => [code, conversationExitCode({ code })]));
    expect(codes).toEqual({
      CONVERSATION_INVALID_ARGUMENT: ExitCode.Usage,
      CONVERSATION_EMPTY_MESSAGE: ExitCode.Usage,
      CONVERSATION_MESSAGE_TOO_LONG: ExitCode.Usage,
      CONVERSATION_THREAD_NOT_FOUND: ExitCode.NoInput,
      CONVERSATION_REPLY_IN_PROGRESS: ExitCode.TryLater,
      CONVERSATION_REPLY_NOT_RUNNING: ExitCode.Failure,
      CONVERSATION_NOTHING_TO_REGENERATE: ExitCode.NoInput,
      CONVERSATION_FACT_NOT_FOUND: ExitCode.NoInput,
      CONVERSATION_NO_MODEL: ExitCode.NoInput,
      CONVERSATION_MODELS_UNAVAILABLE: ExitCode.Unavailable,
      CONVERSATION_STORAGE_UNAVAILABLE: ExitCode.Unavailable,
      CONVERSATION_INTERRUPTED: ExitCode.TryLater,
      CONVERSATION_BUSY: ExitCode.TryLater,
    });
    expect(conversationExitCode({ code: ModelsErrorCode.DoesNotFit })).toBe(ExitCode.Unavailable);
    expect(conversationExitCode({ code: BusErrorCode.NoHandler })).toBe(ExitCode.Unavailable);
    expect(conversationExitCode({ code: BusErrorCode.ResponderGone })).toBe(ExitCode.Unavailable);
  });
});
