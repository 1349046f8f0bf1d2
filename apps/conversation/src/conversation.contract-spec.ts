// The conversation app through its bus contract: the real app in this process behind a real CURVE proxy; storage and
// the models service stood in for at the edge (the e2e tests run the real ones), each generation scripted by the test.
// Here the replies: streamed, spoken, stopped, regenerated, limited, failed, and recovered after a crash; a user's threads
// and the persona are in conversation-threads.contract-spec.ts.
import {
  ConversationErrorCode,
  ConversationTopics,
  ExportFormat,
  JobClass,
  MAX_CONVERSATION_MESSAGE_CHARS,
  MessageRole,
  MessageStatus,
  ModelsErrorCode,
  StopReason,
  SupervisedAppState,
  SupervisorTopics,
  type AvatarSpeech,
  type ConversationMessage,
  type ThreadChanged,
} from '@aico/contracts';
import { ConversationHarness } from './testing/conversation-harness.test-helpers';
import {
  chatOf,
  CONTRACT_SETTINGS,
  conversationRequests,
  putEmptyThread,
  refused,
  spokenIn,
  stopAsIfCrashed,
  waitForDelta,
  storedMessagesOf,
} from './testing/conversation-contract.test-helpers';
import { NO_MODEL } from './testing/models-stand-in.test-helpers';

jest.setTimeout(120_000);

describe('conversation app contract', () => {
  let h: ConversationHarness;
  const { send, messages, stop, exchange, answer } = conversationRequests(() => h);

  beforeAll(async () => {
    h = await ConversationHarness.start(CONTRACT_SETTINGS);
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('takes a message into a new thread, streams the reply in order to that user, speaks each sentence as it completes, and stores the reply', async () => {
    const sent = await h.gateway.request(
      ConversationTopics.messageSend,
      { userId: 'ann', text: '  Hello   Aico,\nhow are you?', client: 'web' },
      { correlationId: 'corr-1' },
    );
    expect(sent.thread).toMatchObject({ ownerId: 'ann', title: 'Hello Aico, how are you?', messageCount: 2 });
    expect(sent.message).toMatchObject({
      role: MessageRole.USER,
      status: MessageStatus.COMPLETE,
      text: '  Hello   Aico,\nhow are you?',
      threadId: sent.thread!.id,
    });
    expect(sent.replyId > sent.message!.id).toBe(true); // ids sort by creation: the reply after the message
    const threadId = sent.thread!.id;

    const received = await h.waitFor((e) => e.topic === 'conversation.message.received', 'message received');
    expect(received).toMatchObject({
      user: 'ann',
      correlationId: 'corr-1',
      payload: { id: sent.message!.id, userId: 'ann', conversationId: threadId, replyId: sent.replyId, client: 'web' },
    });
    expect(((await h.waitFor((e) => e.topic === 'conversation.thread.changed', 'thread created')).payload as ThreadChanged).thread?.id).toBe(threadId);

    const generation = await h.models.next(0);
    // The prompt: the default persona's system prompt and the user's turn; interactive, for that user, with its sampling.
    expect(generation.request).toMatchObject({ jobClass: JobClass.INTERACTIVE, userId: 'ann', temperature: expect.closeTo(0.7, 5), maxTokens: 100 });
    const chat = chatOf(generation);
    expect(chat.map((m) => m.role)).toEqual(['system', 'user']);
    expect(chat[0]!.content).toContain('You are Aico');
    expect(chat[1]!.content).toBe('  Hello   Aico,\nhow are you?');

    generation.write('I am fine', '. How', ' are you?');
    // The first sentence is spoken while the reply is still being written (the generation has not ended).
    const speech = await h.waitFor((e) => e.topic === 'ui.avatar.speak', 'the first sentence spoken');
    expect(speech).toMatchObject({ user: 'ann', payload: { text: 'I am fine.', expression: 'happy', userId: 'ann', conversationId: threadId } });
    expect(h.of('conversation.reply.completed')).toHaveLength(0);
    generation.write(' Good');
    generation.end();
    const completed = await h.completion(sent.replyId);
    expect(completed).toMatchObject({
      userId: 'ann',
      threadId,
      status: MessageStatus.COMPLETE,
      stopReason: StopReason.END_OF_SEQUENCE,
      text: 'I am fine. How are you? Good',
      model: 'scripted',
      errorCode: '',
      usage: { promptTokens: 10 },
    });

    const deltas = h.deltas(sent.replyId);
    expect(deltas.map((d) => Number(d.sequence))).toEqual([1, 2, 3, 4, 5]);
    expect(deltas[0]!.kind).toMatchObject({ case: 'waiting', value: { stage: 'queued' } });
    expect(deltas.map((d) => (d.kind.case === 'text' ? d.kind.value : '')).join('')).toBe(completed.text);
    expect(completed.deltas).toBe(5n);
    expect(h.of<AvatarSpeech>('ui.avatar.speak').map((s) => s.text)).toEqual(['I am fine.', 'How are you?', 'Good']);
    expect(h.seen.every((e) => e.user === 'ann')).toBe(true);

    const stored = await messages('ann', threadId);
    expect(stored.map((m) => [m.role, m.status, m.text])).toEqual([
      [MessageRole.USER, MessageStatus.COMPLETE, '  Hello   Aico,\nhow are you?'],
      [MessageRole.ASSISTANT, MessageStatus.COMPLETE, 'I am fine. How are you? Good'],
    ]);
    expect(stored[1]).toMatchObject({ id: sent.replyId, model: 'scripted', stopReason: StopReason.END_OF_SEQUENCE });
  });

  it('answers the next message with the thread so far in the prompt', async () => {
    const first = await exchange('ann', 'one', ['reply one']);
    const second = await exchange('ann', 'two', ['reply two'], first.sent.thread!.id);
    const chat = chatOf(second.generation);
    expect(chat.slice(1).map((m) => `${m.role}:${m.content}`)).toEqual(['user:one', 'assistant:reply one', 'user:two']);
    expect(second.sent.thread?.messageCount).toBe(4);
  });

  it('leaves out the oldest turns that do not fit the context beside the reply, and always keeps the newest', async () => {
    const first = await exchange('ann', 'a'.repeat(300), ['b'.repeat(300)]);
    h.models.contextSize = 900; // room for the reply (100) and about two turns of 300
    try {
      const second = await exchange('ann', 'c'.repeat(300), ['ok'], first.sent.thread!.id);
      const chat = chatOf(second.generation);
      expect(chat.slice(1).map((m) => m.content[0])).toEqual(['c']);
      h.models.contextSize = 100_000;
      const third = await exchange('ann', 'd', ['ok'], first.sent.thread!.id);
      const all = chatOf(third.generation);
      expect(all.slice(1).map((m) => m.content[0])).toEqual(['a', 'b', 'c', 'o', 'd']);
    } finally {
      h.models.contextSize = 4096;
    }
  });

  it('refuses bad input with specific codes: empty, too long, no user, another user’s thread, an unknown thread', async () => {
    await refused(send('ann', '  \n\t '), ConversationErrorCode.EmptyMessage);
    await refused(send('ann', 'x'.repeat(MAX_CONVERSATION_MESSAGE_CHARS + 1)), ConversationErrorCode.MessageTooLong);
    await refused(send('', 'hi'), ConversationErrorCode.InvalidArgument);
    const { sent } = await exchange('ann', 'mine', ['yes']);
    const threadId = sent.thread!.id;
    for (const attempt of [
      send('bob', 'let me in', threadId),
      send('ann', 'hi', '0190aaaa-0000-7000-8000-000000000000'),
      h.gateway.request(ConversationTopics.threadGet, { userId: 'bob', threadId }),
      h.gateway.request(ConversationTopics.messagesList, { userId: 'bob', threadId }),
      h.gateway.request(ConversationTopics.threadRename, { userId: 'bob', threadId, title: 'mine now' }),
      h.gateway.request(ConversationTopics.threadDelete, { userId: 'bob', threadId }),
      h.gateway.request(ConversationTopics.threadExport, { userId: 'bob', threadId, format: ExportFormat.JSON }),
      stop('bob', threadId),
      h.gateway.request(ConversationTopics.replyRegenerate, { userId: 'bob', threadId }),
    ]) {
      await refused(attempt, ConversationErrorCode.ThreadNotFound);
    }
    expect((await h.gateway.request(ConversationTopics.threadsList, { userId: 'bob' })).threads).toEqual([]);
  });

  it('refuses a second message while a reply streams in the thread, and more replies than configured at once', async () => {
    const seen = h.models.generations.length;
    const first = await send('ann', 'first');
    await refused(send('ann', 'again', first.thread!.id), ConversationErrorCode.ReplyInProgress);
    await refused(h.gateway.request(ConversationTopics.replyRegenerate, { userId: 'ann', threadId: first.thread!.id }), ConversationErrorCode.ReplyInProgress);
    await refused(h.gateway.request(ConversationTopics.threadDelete, { userId: 'ann', threadId: first.thread!.id }), ConversationErrorCode.ReplyInProgress);
    const second = await send('bob', 'second');
    const third = await send('cid', 'third');
    await refused(send('dee', 'fourth'), ConversationErrorCode.Busy);
    for (const [i, sent] of [first, second, third].entries()) {
      const generation = await h.models.next(seen + i);
      generation.end();
      await h.completion(sent.replyId);
    }
    // Freed before the completion went out: the next message in the thread is taken at once.
    const next = await send('ann', 'again', first.thread!.id);
    (await h.models.next(seen + 3)).end();
    await h.completion(next.replyId);
  });

  it('stops a reply mid-stream: stored stopped with its partial text, the avatar told to stop and silent after; a stop after the end is refused', async () => {
    await refused(stop('ann', (await exchange('ann', 'done already', ['fine.'])).sent.thread!.id), ConversationErrorCode.ReplyNotRunning);
    const seen = h.models.generations.length;
    const sent = await send('ann', 'tell me a long story');
    const threadId = sent.thread!.id;
    const generation = await h.models.next(seen);
    generation.write('Once upon a time', ' there was');
    await waitForDelta(h, sent.replyId, (delta) => delta.kind.value === ' there was', 'the second piece');
    await refused(stop('ann', threadId, 'some-other-reply'), ConversationErrorCode.ReplyNotRunning);
    expect(await stop('ann', threadId, sent.replyId)).toMatchObject({ replyId: sent.replyId });
    const completed = await h.completion(sent.replyId);
    expect(completed).toMatchObject({ status: MessageStatus.STOPPED, stopReason: StopReason.CANCELLED, text: 'Once upon a time there was' });
    expect(h.of<{ conversationId: string; userId: string }>('ui.avatar.stop')).toContainEqual(
      expect.objectContaining({ conversationId: threadId, userId: 'ann' }),
    );
    expect(spokenIn(h, threadId)).toEqual([]);
    expect((await messages('ann', threadId))[1]).toMatchObject({ status: MessageStatus.STOPPED, text: 'Once upon a time there was' });
    await refused(stop('ann', threadId, sent.replyId), ConversationErrorCode.ReplyNotRunning);
  });

  it('regenerates the last reply in its place, and refuses a thread with no message of the user', async () => {
    const { sent } = await exchange('ann', 'pick a number', ['four']);
    const threadId = sent.thread!.id;
    const seen = h.models.generations.length;
    const again = await h.gateway.request(ConversationTopics.replyRegenerate, { userId: 'ann', threadId });
    expect(again.message?.id).toBe(sent.message!.id);
    expect(await answer(seen, again.replyId, 'seven')).toMatchObject({ status: MessageStatus.COMPLETE, text: 'seven' });
    expect((await messages('ann', threadId)).map((m) => m.text)).toEqual(['pick a number', 'seven']);

    const empty = '0190aaaa-0000-7000-8000-0000000000ee';
    putEmptyThread(h.storage, empty, 'ann');
    await refused(h.gateway.request(ConversationTopics.replyRegenerate, { userId: 'ann', threadId: empty }), ConversationErrorCode.NothingToRegenerate);
  });

  it('fails a reply with NO_MODEL when no model is installed, and with MODELS_UNAVAILABLE when the models service fails', async () => {
    h.models.refusal = NO_MODEL;
    try {
      const sent = await send('ann', 'anyone there?');
      expect(await h.completion(sent.replyId)).toMatchObject({
        status: MessageStatus.FAILED,
        errorCode: ConversationErrorCode.NoModel,
        errorMessage: expect.stringContaining('No model is installed'),
      });
      expect((await messages('ann', sent.thread!.id))[1]).toMatchObject({ status: MessageStatus.FAILED, errorCode: ConversationErrorCode.NoModel });
    } finally {
      h.models.refusal = undefined;
    }
    const seen = h.models.generations.length;
    const sent = await send('ann', 'try again');
    const generation = await h.models.next(seen);
    generation.write('part');
    generation.fail(ModelsErrorCode.LoadFailed, 'The model could not be loaded.');
    expect(await h.completion(sent.replyId)).toMatchObject({ status: MessageStatus.FAILED, errorCode: ConversationErrorCode.ModelsUnavailable, text: 'part' });
  });

  it('keeps new turns out of a thread being deleted (nothing of them stays), and one user from taking every reply slot', async () => {
    const { sent } = await exchange('jo', 'first', ['ok']);
    const threadId = sent.thread!.id;
    let release = () => undefined as void;
    h.storage.holdDeletes = new Promise<void>((resolve) => (release = resolve));
    const arrived = h.storage.deleteArrived();
    const deleting = h.gateway.request(ConversationTopics.threadDelete, { userId: 'jo', threadId });
    try {
      await arrived;
      // The thread is still in storage, but no turn may start in it now.
      await refused(send('jo', 'too late', threadId), ConversationErrorCode.ThreadNotFound);
      await refused(h.gateway.request(ConversationTopics.replyRegenerate, { userId: 'jo', threadId }), ConversationErrorCode.ThreadNotFound);
    } finally {
      h.storage.holdDeletes = undefined;
      release();
    }
    expect(await deleting).toMatchObject({ deletedMessages: 2 });
    expect(storedMessagesOf(h.storage, threadId)).toEqual([]);

    // Per user (AICO_CONVERSATION__MAX_REPLIES_PER_USER=2): a third of jo's replies at once waits; others still get one.
    const seen = h.models.generations.length;
    const one = await send('jo', 'one');
    const two = await send('jo', 'two');
    await expect(send('jo', 'three')).rejects.toMatchObject({ code: ConversationErrorCode.Busy, message: expect.stringContaining('of your replies') });
    const other = await send('kay', 'mine');
    for (const [i, sentNow] of [one, two, other].entries()) {
      (await h.models.next(seen + i)).end();
      await h.completion(sentNow.replyId);
    }
  });

  it('ends a reply stopped while it waits for its first token count at once, stopped', async () => {
    // The count answers far later than the test lasts: only the stop can end the wait.
    h.models.countDelayMs = 600_000;
    const seen = h.models.generations.length;
    try {
      const sent = await send('liv', 'hello while the tokenizer loads');
      await expect(stop('liv', sent.thread!.id, sent.replyId)).resolves.toMatchObject({ replyId: sent.replyId });
      expect(await h.completion(sent.replyId)).toMatchObject({ status: MessageStatus.STOPPED, text: '' });
      expect(h.models.generations).toHaveLength(seen);
    } finally {
      h.models.countDelayMs = 0;
    }
  });

  it('waits for a slow first token count (the models app loading its runtime and tokenizer) beyond the bus’s usual request timeout', async () => {
    // Longer than the bus's default request timeout (5 s), far shorter than the count's own (60 s).
    h.models.countDelayMs = 6_000;
    try {
      const { completed } = await exchange('ivy', 'hello after a restart', ['hi']);
      expect(completed).toMatchObject({ status: MessageStatus.COMPLETE, text: 'hi' });
    } finally {
      h.models.countDelayMs = 0;
    }
  });

  it('ends a reply at once when the supervisor reports the models app crashed', async () => {
    const supervisor = await h.bus.connected('supervisor');
    const seen = h.models.generations.length;
    const sent = await send('ann', 'still there?');
    const generation = await h.models.next(seen);
    generation.write('half');
    await waitForDelta(h, sent.replyId, (delta) => delta.kind.case === 'text', 'the first text');
    await supervisor.publish(SupervisorTopics.appChanged, { app: { name: 'models', state: SupervisedAppState.BACKOFF, lastExit: 'signal SIGKILL' } });
    const completed = await h.completion(sent.replyId);
    expect(completed).toMatchObject({
      status: MessageStatus.FAILED,
      errorCode: ConversationErrorCode.ModelsUnavailable,
      text: 'half',
      errorMessage: expect.stringContaining('models app ended'),
    });
    generation.end();
  });

  it('answers STORAGE_UNAVAILABLE when storage refuses a write, and leaves the thread free for the next message', async () => {
    const { sent } = await exchange('hal', 'first', ['ok']);
    h.storage.refuseWrites = true;
    try {
      await expect(send('hal', 'second', sent.thread!.id)).rejects.toMatchObject({
        code: ConversationErrorCode.StorageUnavailable,
        message: expect.not.stringContaining('disk'),
      });
      const persona = { name: 'Aico', systemPrompt: '', expression: 'happy' };
      await refused(h.gateway.request(ConversationTopics.personaUpdate, { persona }), ConversationErrorCode.StorageUnavailable);
    } finally {
      h.storage.refuseWrites = false;
    }
    const again = await exchange('hal', 'second', ['ok'], sent.thread!.id);
    expect(again.completed.status).toBe(MessageStatus.COMPLETE);
  });

  it('on start, marks the replies a crash interrupted as failed and tells their users', async () => {
    const seen = h.models.generations.length;
    const sent = await send('gus', 'are you there?');
    const interrupted = await h.models.next(seen);
    // The text so far is saved while the reply is written (checkpointMs 0 here: after every piece).
    const saved = h.storage.written(
      (record) => record.kind.case === 'threadMessage' && record.kind.value.id === sent.replyId && record.kind.value.text === 'so far',
    );
    interrupted.write('so far');
    await saved;
    // The process "dies" mid-reply: its in-flight list and the streaming reply stay in storage as they were.
    await stopAsIfCrashed(h, sent.replyId);
    const before = h.of('conversation.reply.completed').length;
    await h.startApp();
    const completed = await h.waitFor(
      (e) =>
        h.of('conversation.reply.completed').length > before &&
        e.topic === 'conversation.reply.completed' &&
        (e.payload as { replyId: string }).replyId === sent.replyId &&
        (e.payload as { errorCode: string }).errorCode === ConversationErrorCode.Interrupted,
      'the interrupted completion',
    );
    expect(completed).toMatchObject({ user: 'gus', payload: { userId: 'gus', status: MessageStatus.FAILED, text: 'so far' } });
    expect((await messages('gus', sent.thread!.id))[1]).toMatchObject({
      status: MessageStatus.FAILED,
      errorCode: ConversationErrorCode.Interrupted,
      text: 'so far',
    });
    expect([...h.storage.state.keys()].filter((key) => key.includes(sent.replyId))).toEqual([]);
    // The generation still running for it is cancelled at once (not left to the models service's idle timeout).
    expect(h.models.cancelled).toContain(interrupted.correlationId);
    // And the next message works.
    const next = h.models.generations.length;
    const again = await send('gus', 'hello?', sent.thread!.id);
    expect(await answer(next, again.replyId, 'yes')).toMatchObject({ status: MessageStatus.COMPLETE, text: 'yes' });
  });

  it('publishes every event to its own user only (payload and envelope name the user)', () => {
    for (const event of h.seen) expect((event.payload as { userId: string }).userId).toBe(event.user);
    expect(h.of<ConversationMessage>('conversation.message.received').length).toBeGreaterThan(0);
  });
});
