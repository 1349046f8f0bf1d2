// The conversation turn loop with real processes (bus, keys, storage, monitor, the models app running a generated
// chat model, conversation): a message streams back as ordered deltas and completes with exactly what the model
// wrote, the avatar gets each sentence while the reply is still being written, a stop keeps the partial text and lets
// the models process fall idle, a kill -9 of the models app or of the conversation app mid-reply ends the reply with a
// clear error and the next message works, two users see only their own, bad input gets its own code. Every wait is
// for an event or an answer.
import { setTimeout as delay } from 'node:timers/promises';
import { ConversationErrorCode, ConversationTopics, MessageStatus, StopReason, type AvatarSpeech, type ReplyCompleted, type ReplyDelta } from '@aico/contracts';
import { cpuTicks } from '../models/models-stack';
import { CONVERSATION_STACK_START_TIMEOUT_MS, ConversationStack, predictedReply, type RecordedEvent } from '../support/conversation-stack';
import { eventually } from '../support/system-bus';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

// Seven process starts, two kills and restarts, a few model loads.
jest.setTimeout(10 * SIGNAL_TIMEOUT_MS);

/** A short greedy reply: two sentences and the start of a third. */
const SHORT_REPLY_TOKENS = 60;
/** The interval over which the models process's CPU time is read after a stop (a measurement, not a wait). */
const IDLE_INTERVAL_MS = 3_000;
/** CPU ticks (1/100 s) an idle models process may use in IDLE_INTERVAL_MS: 10 % of a core; generating uses all of one. */
const IDLE_TICKS = 30;
/** Text deltas to wait for before acting mid-reply (the reply is 60 000 tokens long: far from its end). */
const MID_REPLY_DELTAS = 20;

const textOf = (deltas: readonly ReplyDelta[]): string => deltas.map((delta) => (delta.kind.case === 'text' ? delta.kind.value : '')).join('');

describe('the conversation turn loop with real processes', () => {
  let stack: ConversationStack;
  const figures: Record<string, number> = {};

  /** Greedy replies of `maxTokens` (0: the stack's long default), so the model's text is known in advance. */
  const persona = (maxTokens: number) =>
    stack.setPersona({ name: 'Aico', systemPrompt: 'You are a test companion.', temperature: 0, maxTokens, expression: 'neutral' });
  const stored = async (userId: string, threadId: string) => (await stack.gateway.request(ConversationTopics.messagesList, { userId, threadId })).messages;

  /** CPU ticks the models process uses over IDLE_INTERVAL_MS. */
  async function modelsTicks(): Promise<number> {
    const pid = stack.process('models').pid;
    const before = await cpuTicks(pid);
    await delay(IDLE_INTERVAL_MS);
    return (await cpuTicks(pid)) - before;
  }

  beforeAll(async () => {
    // The reply so far is saved after every piece, so a kill of the conversation app keeps a known part of it.
    stack = await ConversationStack.start({ conversationEnv: { AICO_CONVERSATION__CHECKPOINT_MS: '0' } });
  }, CONVERSATION_STACK_START_TIMEOUT_MS);
  afterAll(async () => {
    await stack?.stop();
    process.stdout.write(`conversation turn-loop e2e figures: ${JSON.stringify(figures)}\n`);
  });

  it('streams a reply as ordered deltas that complete with exactly the text the model writes, stores it, and speaks each sentence while the reply is written', async () => {
    await persona(SHORT_REPLY_TOKENS);
    const startedAt = Date.now();
    const { sent, completed } = await stack.exchange('ann', 'hello');
    const expected = await predictedReply(SHORT_REPLY_TOKENS);
    expect(expected).toBe('abcdefghijklmnopqrstuvwxyz. abcdefghijklmnopqrstuvwxyz. abcd');
    expect(completed).toMatchObject({
      userId: 'ann',
      threadId: sent.thread!.id,
      status: MessageStatus.COMPLETE,
      stopReason: StopReason.MAX_TOKENS,
      text: expected,
      model: 'chat',
      errorCode: '',
    });
    expect(completed.usage?.completionTokens).toBe(SHORT_REPLY_TOKENS);

    const deltas = stack.events.deltas(sent.replyId);
    expect(deltas.map((delta) => Number(delta.sequence))).toEqual(deltas.map((_, index) => index + 1));
    expect(textOf(deltas)).toBe(expected);
    expect(completed.deltas).toBe(BigInt(deltas.length));

    const reply = (await stored('ann', sent.thread!.id))[1];
    expect(reply).toMatchObject({ id: sent.replyId, status: MessageStatus.COMPLETE, text: expected, model: 'chat' });

    // The avatar: each sentence, the first one published before the reply's last text delta (while it was written).
    const speech = stack.events.speech(sent.thread!.id);
    expect(speech.map((s) => s.text)).toEqual(['abcdefghijklmnopqrstuvwxyz.', 'abcdefghijklmnopqrstuvwxyz.', 'abcd']);
    expect(speech.every((s) => s.userId === 'ann' && s.expression === 'neutral')).toBe(true);
    const at = (predicate: (event: RecordedEvent) => boolean) => stack.events.all.findIndex(predicate);
    const firstSpeech = at((e) => e.topic === 'ui.avatar.speak' && (e.payload as AvatarSpeech).conversationId === sent.thread!.id);
    const lastText = stack.events.all.findLastIndex(
      (e) => e.topic === 'conversation.reply.delta' && (e.payload as ReplyDelta).replyId === sent.replyId && (e.payload as ReplyDelta).kind.case === 'text',
    );
    expect(firstSpeech).toBeLessThan(lastText);
    // Figures for the report (never asserted): from the request to the first text delta, the first sentence, the end.
    const firstText = stack.events.all.find(
      (e) => e.topic === 'conversation.reply.delta' && (e.payload as ReplyDelta).replyId === sent.replyId && (e.payload as ReplyDelta).kind.case === 'text',
    )!;
    Object.assign(figures, {
      msToFirstTextDelta: firstText.receivedAt - startedAt,
      msToFirstSentenceSpoken: stack.events.all[firstSpeech]!.receivedAt - startedAt,
      msToCompleted:
        stack.events.all.find((e) => e.topic === 'conversation.reply.completed' && (e.payload as ReplyCompleted).replyId === sent.replyId)!.receivedAt -
        startedAt,
    });
  });

  it('stops a reply mid-stream: stored stopped with its partial text, the avatar told to stop, and the models process falls idle', async () => {
    await persona(0);
    const sent = await stack.send('ann', 'tell me everything');
    await stack.events.textDelta(sent.replyId, MID_REPLY_DELTAS);
    expect(await stack.gateway.request(ConversationTopics.replyStop, { userId: 'ann', threadId: sent.thread!.id, replyId: sent.replyId })).toMatchObject({
      replyId: sent.replyId,
    });
    const completed = await stack.events.completion(sent.replyId);
    expect(completed).toMatchObject({ status: MessageStatus.STOPPED, stopReason: StopReason.CANCELLED });
    expect(completed.text.length).toBeGreaterThanOrEqual(MID_REPLY_DELTAS);
    expect(completed.text).toBe(await predictedReply(completed.text.length));
    expect(textOf(stack.events.deltas(sent.replyId))).toBe(completed.text);
    expect((await stored('ann', sent.thread!.id))[1]).toMatchObject({ status: MessageStatus.STOPPED, text: completed.text });
    expect(stack.events.of<{ conversationId: string }>('ui.avatar.stop').some((stop) => stop.conversationId === sent.thread!.id)).toBe(true);
    const idle = await modelsTicks();
    expect(idle).toBeLessThanOrEqual(IDLE_TICKS);
    Object.assign(figures, { stoppedAfterChars: completed.text.length, idleTicksAfterStop: idle });
    // A stop after the end is refused.
    await expect(
      stack.gateway.request(ConversationTopics.replyStop, { userId: 'ann', threadId: sent.thread!.id, replyId: sent.replyId }),
    ).rejects.toMatchObject({ code: ConversationErrorCode.ReplyNotRunning });
  });

  it('fails the reply with a clear error when the models app is killed mid-reply, and the next message works once it is back', async () => {
    await persona(0);
    const sent = await stack.send('ann', 'a long answer please');
    await stack.events.textDelta(sent.replyId, MID_REPLY_DELTAS);
    const killedAt = Date.now();
    await stack.kill('models');
    // No supervisor in this stack: the reply ends when the models service has been silent for its idle timeout
    // (under the supervisor its crash report ends it at once: the contract test shows that path).
    const completed = await stack.events.completion(sent.replyId);
    figures['msFromModelsKillToFailure'] = Date.now() - killedAt;
    expect(completed).toMatchObject({
      status: MessageStatus.FAILED,
      errorCode: ConversationErrorCode.ModelsUnavailable,
      errorMessage: expect.stringMatching(/models service stopped answering/),
    });
    expect(completed.text.length).toBeGreaterThanOrEqual(MID_REPLY_DELTAS);
    expect((await stored('ann', sent.thread!.id))[1]).toMatchObject({
      status: MessageStatus.FAILED,
      errorCode: ConversationErrorCode.ModelsUnavailable,
      text: completed.text,
    });

    await stack.restartModels();
    await persona(SHORT_REPLY_TOKENS);
    const next = await stack.exchange('ann', 'are you back?', sent.thread!.id);
    expect(next.completed).toMatchObject({ status: MessageStatus.COMPLETE, text: await predictedReply(SHORT_REPLY_TOKENS) });
  });

  it('tells the user the reply was interrupted when the conversation app is killed mid-reply, keeps the thread, and the next message works', async () => {
    await persona(0);
    const sent = await stack.send('ann', 'and now a story');
    const threadId = sent.thread!.id;
    await stack.events.textDelta(sent.replyId, MID_REPLY_DELTAS);
    // The text so far is saved as the reply is written (checkpointMs 0 here): wait until some is stored.
    await eventually(async () => ((await stored('ann', threadId))[1]?.text ? true : undefined), 'the reply so far saved', SIGNAL_TIMEOUT_MS);
    const models = stack.process('models');
    const since = models.lines.length;
    await stack.kill('conversation');
    await stack.startConversation();
    const completed: ReplyCompleted = await stack.events.completion(sent.replyId);
    expect(completed).toMatchObject({
      userId: 'ann',
      threadId,
      status: MessageStatus.FAILED,
      errorCode: ConversationErrorCode.Interrupted,
      errorMessage: expect.stringMatching(/stopped while it wrote this reply/),
    });
    // What was saved before the kill is kept: the start of what the model wrote.
    expect(completed.text.length).toBeGreaterThan(0);
    expect(completed.text).toBe(await predictedReply(completed.text.length));
    expect((await stored('ann', threadId))[1]).toMatchObject({
      status: MessageStatus.FAILED,
      errorCode: ConversationErrorCode.Interrupted,
      text: completed.text,
    });
    // The restarted service cancelled the generation it had asked for (else the models service would end it once its
    // requester stayed silent): the models process stops writing and its CPU falls back to idle.
    const ended = await models.waitFor((line) => line.msg === 'Generation ended', SIGNAL_TIMEOUT_MS, 'the end of the interrupted generation', since);
    // (Under heavy load the models service may notice the silent requester first: either way it ends.)
    expect(ended['why']).toMatch(/conversation service restarted|requester went away/);
    figures['interruptedGenerationEndedBy'] = /restarted/.test(String(ended['why'])) ? 1 : 0;
    const idle = await modelsTicks();
    expect(idle).toBeLessThanOrEqual(IDLE_TICKS);
    figures['idleTicksAfterConversationKilled'] = idle;

    const threads = (await stack.gateway.request(ConversationTopics.threadsList, { userId: 'ann' })).threads;
    expect(threads[0]?.id).toBe(threadId);
    await persona(SHORT_REPLY_TOKENS);
    const next = await stack.exchange('ann', 'still there?', threadId);
    expect(next.completed).toMatchObject({ status: MessageStatus.COMPLETE, text: await predictedReply(SHORT_REPLY_TOKENS) });
  });

  it('keeps two users apart: each reply, completion and sentence names its own user, and neither reads the other’s thread', async () => {
    await persona(SHORT_REPLY_TOKENS);
    const [ann, bob] = await Promise.all([stack.exchange('ann', 'I am Ann'), stack.exchange('bob', 'I am Bob')]);
    for (const [user, { sent }] of [
      ['ann', ann],
      ['bob', bob],
    ] as const) {
      const ofThread = stack.events.all.filter((event) => {
        const payload = event.payload as { threadId?: string; conversationId?: string; thread?: { id: string } };
        return payload.threadId === sent.thread!.id || payload.conversationId === sent.thread!.id || payload.thread?.id === sent.thread!.id;
      });
      expect(ofThread.length).toBeGreaterThan(5);
      // The gateway relays an event only to the user its payload names; the envelope names the same user.
      for (const event of ofThread) {
        expect((event.payload as { userId: string }).userId).toBe(user);
        expect(event.attributes['user']).toBe(user);
      }
    }
    const other = { ann: bob.sent.thread!.id, bob: ann.sent.thread!.id };
    for (const [user, threadId] of Object.entries(other)) {
      await expect(stack.gateway.request(ConversationTopics.threadGet, { userId: user, threadId })).rejects.toMatchObject({
        code: ConversationErrorCode.ThreadNotFound,
      });
      await expect(stack.gateway.request(ConversationTopics.messagesList, { userId: user, threadId })).rejects.toMatchObject({
        code: ConversationErrorCode.ThreadNotFound,
      });
      const listed = (await stack.gateway.request(ConversationTopics.threadsList, { userId: user })).threads.map((thread) => thread.id);
      expect(listed).not.toContain(threadId);
    }
  });

  it('refuses bad input with a specific code: empty, oversize, another user’s thread, an unknown thread, a stop after the end', async () => {
    await persona(SHORT_REPLY_TOKENS);
    const { sent } = await stack.exchange('ann', 'one more');
    await expect(stack.send('ann', ' \n ')).rejects.toMatchObject({ code: ConversationErrorCode.EmptyMessage });
    await expect(stack.send('ann', 'x'.repeat(8001))).rejects.toMatchObject({ code: ConversationErrorCode.MessageTooLong });
    await expect(stack.send('bob', 'let me in', sent.thread!.id)).rejects.toMatchObject({ code: ConversationErrorCode.ThreadNotFound });
    await expect(stack.send('ann', 'hello?', '01900000-0000-7000-8000-000000000000')).rejects.toMatchObject({ code: ConversationErrorCode.ThreadNotFound });
    await expect(stack.gateway.request(ConversationTopics.replyStop, { userId: 'ann', threadId: sent.thread!.id })).rejects.toMatchObject({
      code: ConversationErrorCode.ReplyNotRunning,
    });
  });
});
