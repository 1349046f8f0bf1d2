// Conversation memory through the app's bus contract: the real app in this process behind a real CURVE proxy, with
// storage and the models service stood in for at the edge, and a gateway stand-in that answers the consent check and
// announces decisions as the gateway does. An exchange with consent starts the background job (background class,
// JSON schema), its facts are listed, edited, deleted and forgotten over the memory topics with their error codes,
// the next thread's prompt carries them, a withdrawal deletes them; without consent no job starts and no prompt
// carries memory. Every memory event goes to its own user (payload and envelope).
import { RemoteError } from '@aico/bus';
import { type TestClient } from '@aico/bus/testing';
import {
  ConversationErrorCode,
  ConversationTopics,
  GatewayTopics,
  JobClass,
  MEMORY_CONSENT_PURPOSE,
  ModelPurpose,
  ModelsTopics,
  StopReason,
  type MemoryChanged,
} from '@aico/contracts';
import { ConversationHarness } from '../testing/conversation-harness.test-helpers';
import type { ScriptedGeneration } from '../testing/models-stand-in.test-helpers';

describe('conversation memory contract', () => {
  let h: ConversationHarness;
  let embedder: TestClient;
  const consent = new Map<string, boolean>();
  const consentChecks: string[] = [];

  beforeAll(async () => {
    h = await ConversationHarness.start({ AICO_CONVERSATION__MEMORY__DEBOUNCE_MS: '0', AICO_CONVERSATION__MEMORY__CONSENT_CACHE_MS: '600000' });
    h.gateway.handle(GatewayTopics.consentCheck, ({ payload }) => {
      consentChecks.push(`${payload.userId}:${payload.purpose}`);
      return { granted: consent.get(payload.userId) ?? false, essential: false };
    });
    // Embeddings by the models identity: a vector of which of a few words a text has (enough to rank and compare by).
    embedder = await h.bus.connected('models');
    const words = ['cat', 'name', 'ask', 'lyon'];
    embedder.handle(ModelsTopics.embed, ({ payload }) => ({
      embeddings: payload.texts.map((text) => ({ values: [...words.map((word) => (text.toLowerCase().includes(word) ? 1 : 0)), 0.01] })),
      dimensions: 5,
      model: 'embedder',
    }));
  }, 60_000);
  afterAll(() => h?.stop());

  /** A message and its reply (the scripted model writes `reply`); answers the thread. */
  async function exchange(userId: string, text: string, reply = 'Nice.', threadId = ''): Promise<{ threadId: string; prompt: ScriptedGeneration }> {
    const seen = h.models.generations.length;
    const sent = await h.gateway.request(ConversationTopics.messageSend, { userId, text, threadId, client: 'test' }, { attributes: { user: userId } });
    const generation = await h.models.next(seen);
    generation.write(reply);
    generation.end(StopReason.END_OF_SEQUENCE);
    await h.completion(sent.replyId);
    return { threadId: sent.thread!.id, prompt: generation };
  }
  const decide = (userId: string, granted: boolean) =>
    h.gateway.publish(GatewayTopics.consentChanged, { userId, purpose: MEMORY_CONSENT_PURPOSE, granted, source: 'test' });
  const changed = (userId: string, reason: string) =>
    h.waitFor(
      (event) =>
        event.topic === ConversationTopics.memoryChanged.topic &&
        (event.payload as MemoryChanged).userId === userId &&
        (event.payload as MemoryChanged).reason === reason,
      `memory of ${userId} ${reason}`,
    );
  const systemPrompt = (generation: ScriptedGeneration): string =>
    generation.request.input.case === 'chat' ? generation.request.input.value.messages[0]!.content : '';
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (error: unknown) => (error instanceof RemoteError ? { code: error.code } : { code: String(error) }),
    );

  it('with consent: a background job with the JSON schema after the exchange; its facts listed, edited, carried into the next thread, deleted, forgotten', async () => {
    consent.set('ada', true);
    const seen = h.models.generations.length;
    const first = await exchange('ada', 'My cat is called Miso.', 'What a lovely name.');
    const job = await h.models.next(seen + 1);
    expect(job.request).toMatchObject({ jobClass: JobClass.BACKGROUND, purpose: ModelPurpose.BACKGROUND, temperature: 0, userId: 'ada' });
    expect(JSON.parse(job.request.jsonSchema)).toMatchObject({ type: 'object', required: ['summary', 'facts'] });
    expect(job.request.input.case === 'chat' && job.request.input.value.messages.at(-1)!.content).toContain(
      'User: My cat is called Miso.\nCompanion: What a lovely name.',
    );
    job.write(JSON.stringify({ summary: 'Ada talked about her cat.', facts: ['The user has a cat called Miso.', 'The user likes names.'] }));
    job.end();
    const learned = await changed('ada', 'learned');
    expect(learned).toMatchObject({ user: 'ada', payload: { facts: 2 } });

    const list = await h.gateway.request(ConversationTopics.memoryList, { userId: 'ada' });
    expect(list.enabled).toBe(true);
    expect(list.summaries).toBe(1);
    expect(list.facts.map((view) => [view.fact!.text, view.fact!.sourceThreadId, view.sourceThreadTitle, view.fact!.embedding.length])).toEqual([
      ['The user has a cat called Miso.', first.threadId, 'My cat is called Miso.', 5],
      ['The user likes names.', first.threadId, 'My cat is called Miso.', 5],
    ]);
    const [cat, names] = list.facts.map((view) => view.fact!.id);

    // Edited by the user (text checked), refused for another user and an unknown id alike.
    const edited = await h.gateway.request(ConversationTopics.memoryUpdate, { userId: 'ada', factId: cat!, text: 'The user has a grey cat called Miso.' });
    expect(edited.fact).toMatchObject({ fact: { text: 'The user has a grey cat called Miso.', edited: true }, sourceThreadTitle: 'My cat is called Miso.' });
    expect(await changed('ada', 'edited')).toMatchObject({ user: 'ada' });
    expect(await refusal(h.gateway.request(ConversationTopics.memoryUpdate, { userId: 'ada', factId: cat!, text: ' ' }))).toEqual({
      code: ConversationErrorCode.InvalidArgument,
    });
    expect(await refusal(h.gateway.request(ConversationTopics.memoryUpdate, { userId: 'ada', factId: cat!, text: 'x'.repeat(501) }))).toEqual({
      code: ConversationErrorCode.InvalidArgument,
    });
    expect(await refusal(h.gateway.request(ConversationTopics.memoryUpdate, { userId: 'bob', factId: cat!, text: 'mine' }))).toEqual({
      code: ConversationErrorCode.FactNotFound,
    });
    expect(await refusal(h.gateway.request(ConversationTopics.memoryDelete, { userId: 'bob', factId: cat! }))).toEqual({
      code: ConversationErrorCode.FactNotFound,
    });
    expect(await refusal(h.gateway.request(ConversationTopics.memoryDelete, { userId: 'ada', factId: 'no-such-fact' }))).toEqual({
      code: ConversationErrorCode.FactNotFound,
    });
    expect(await refusal(h.gateway.request(ConversationTopics.memoryList, { userId: '' }))).toEqual({ code: ConversationErrorCode.InvalidArgument });

    // A new thread's prompt: the facts (the edited text) and the first thread's summary.
    const seenBefore = h.models.generations.length;
    const second = await exchange('ada', 'Tell me about my cat.');
    const prompt = systemPrompt(second.prompt);
    expect(prompt).toContain('The user has a grey cat called Miso.');
    expect(prompt).toContain('The user likes names.');
    expect(prompt).toContain('Summary of an earlier conversation ("My cat is called Miso."): Ada talked about her cat.');
    // Its own job runs too: a known fact is not kept twice, a new one is.
    const secondJob = await h.models.next(seenBefore + 1);
    secondJob.write(JSON.stringify({ summary: 'Ada asked about her cat.', facts: ['the user likes names', 'The user asks about cats.'] }));
    secondJob.end();
    await h.waitFor(
      (event) =>
        event.topic === ConversationTopics.memoryChanged.topic &&
        (event.payload as MemoryChanged).reason === 'learned' &&
        (event.payload as MemoryChanged).facts === 3,
      'the second job’s fact',
    );

    await h.gateway.request(ConversationTopics.memoryDelete, { userId: 'ada', factId: names! });
    expect(await changed('ada', 'deleted')).toMatchObject({ user: 'ada', payload: { deletedFacts: 1, facts: 2 } });
    expect((await h.gateway.request(ConversationTopics.memoryList, { userId: 'ada' })).facts.map((view) => view.fact!.text)).toEqual([
      'The user has a grey cat called Miso.',
      'The user asks about cats.',
    ]);
    expect(await h.gateway.request(ConversationTopics.memoryForget, { userId: 'ada' })).toMatchObject({ deletedFacts: 2, deletedSummaries: 2 });
    expect(await changed('ada', 'forgotten')).toMatchObject({ user: 'ada', payload: { deletedFacts: 2, deletedSummaries: 2, facts: 0 } });
    expect(await h.gateway.request(ConversationTopics.memoryList, { userId: 'ada' })).toMatchObject({ enabled: true, facts: [], summaries: 0 });
  });

  it('withdrawn: the memory goes, the user is told, and the next prompt has none of it', async () => {
    consent.set('bea', true);
    const seen = h.models.generations.length;
    await exchange('bea', 'I live in Lyon.');
    const job = await h.models.next(seen + 1);
    job.write(JSON.stringify({ summary: 'Bea lives in Lyon.', facts: ['The user lives in Lyon.'] }));
    job.end();
    await changed('bea', 'learned');

    consent.set('bea', false);
    await decide('bea', false);
    expect(await changed('bea', 'consent_withdrawn')).toMatchObject({
      user: 'bea',
      payload: { userId: 'bea', facts: 0, deletedFacts: 1, deletedSummaries: 1 },
    });
    expect(await h.gateway.request(ConversationTopics.memoryList, { userId: 'bea' })).toMatchObject({ enabled: false, facts: [], summaries: 0 });
    const after = await exchange('bea', 'Where do I live?');
    expect(systemPrompt(after.prompt)).not.toContain('Lyon');
  });

  it('without consent: no job, no memory in any prompt', async () => {
    const seen = h.models.generations.length;
    await exchange('cem', 'My secret is 42.');
    await exchange('cem', 'What is my secret?');
    const cems = h.models.generations.slice(seen);
    expect(cems.map((generation) => generation.request.jobClass)).toEqual([JobClass.INTERACTIVE, JobClass.INTERACTIVE]);
    expect(systemPrompt(cems[1]!)).not.toContain('42');
    expect(consentChecks).toContain(`cem:${MEMORY_CONSENT_PURPOSE}`);
    expect(await h.gateway.request(ConversationTopics.memoryList, { userId: 'cem' })).toMatchObject({ enabled: false, facts: [], summaries: 0 });
  });
});
