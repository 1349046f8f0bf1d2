// The memory service against stand-ins at its edges (threads, facts, models, consent, a hand-fired schedule): nothing
// read or kept without consent; with it, a background job per thread that keeps the rolling summary and new facts
// (deduplicated, capped, an edited fact never overwritten); the user's list/edit/delete/forget; consent withdrawn
// and a deleted thread take the memory with them; no text of the user's in a log line.
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { MEMORY_CONSENT_PURPOSE, MemoryFactSchema, ModelsErrorCode, StorageClientErrorCode } from '@aico/contracts';
import { ConversationErrorCode } from '../conversation.error';
import { memoryHarness, type MemoryHarness } from './memory-fakes.test-helpers';

const answer = (summary: string, facts: string[]): string => JSON.stringify({ summary, facts });

function fact(
  h: MemoryHarness,
  ownerId: string,
  id: string,
  text: string,
  extra: Partial<{ sourceThreadId: string; embedding: number[]; edited: boolean; at: number }> = {},
): void {
  void h.facts.put(
    create(MemoryFactSchema, {
      id,
      ownerId,
      text,
      sourceThreadId: extra.sourceThreadId ?? '',
      embedding: extra.embedding ?? [],
      edited: extra.edited ?? false,
      createdAt: timestampFromMs(extra.at ?? 1),
      updatedAt: timestampFromMs(extra.at ?? 1),
    }),
  );
}

describe('conversation memory without consent', () => {
  it('gives a prompt nothing, not even what was kept before', async () => {
    const h = memoryHarness();
    h.threads.addThread('ada', 'old');
    h.threads.threads.get('old')!.summary = 'Ada told the companion about her cat Miso.';
    h.threads.addThread('ada', 'new');
    fact(h, 'ada', 'f1', 'The user has a cat called Miso.');
    expect(await h.service.promptContext('ada', 'new', 'what is my cat called?')).toEqual([]);
    expect(h.models.embedded).toEqual([]);
  });

  it('keeps nothing after an exchange: no job, no summary, no fact', async () => {
    const h = memoryHarness();
    h.threads.addThread('ada', 't1');
    h.threads.addExchange('t1', 'My cat is called Miso.', 'What a lovely name.');
    h.models.answers = [answer('Ada has a cat.', ['The user has a cat called Miso.'])];
    h.service.exchangeCompleted('ada', 't1');
    await h.runJobs();
    expect(h.models.generations).toHaveLength(0);
    expect(h.threads.threads.get('t1')).toMatchObject({ summary: '', summarizedThrough: '' });
    expect(h.facts.facts.size).toBe(0);
    expect(h.published).toEqual([]);
  });

  it('keeps nothing when consent is withdrawn between the exchange and the job', async () => {
    const h = memoryHarness();
    h.consent.set('ada', true);
    h.threads.addThread('ada', 't1');
    h.threads.addExchange('t1', 'My cat is called Miso.', 'What a lovely name.');
    h.service.exchangeCompleted('ada', 't1');
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.schedule.waiting).toBe(1);
    h.consent.set('ada', false);
    await h.runJobs();
    expect(h.models.generations).toHaveLength(0);
    expect(h.facts.facts.size).toBe(0);
  });
});

describe('conversation memory with consent', () => {
  let h: MemoryHarness;
  beforeEach(() => {
    h = memoryHarness({ maxFactsPerExchange: 3, factMaxChars: 100, summaryMaxChars: 300 });
    h.consent.set('ada', true);
    h.threads.addThread('ada', 't1', 'Cats');
    h.threads.addExchange('t1', 'My cat is called Miso.', 'What a lovely name.');
  });

  it('runs one schema-constrained job per thread after the quiet time: the summary and the facts, each with its thread', async () => {
    h.models.answers = [answer('Ada talked about her cat Miso.', ['The user has a cat called Miso.'])];
    h.service.exchangeCompleted('ada', 't1');
    h.service.exchangeCompleted('ada', 't1');
    await h.runJobs();
    expect(h.models.generations).toHaveLength(1);
    const [job] = h.models.generations;
    expect(job!.userId).toBe('ada');
    expect(job!.jsonSchema).toEqual({
      type: 'object',
      properties: { summary: { type: 'string', maxLength: 300 }, facts: { type: 'array', items: { type: 'string', maxLength: 100 }, maxItems: 3 } },
      required: ['summary', 'facts'],
      additionalProperties: false,
    });
    expect(job!.chat.at(-1)!.content).toContain('User: My cat is called Miso.\nCompanion: What a lovely name.');
    const thread = h.threads.threads.get('t1')!;
    expect(thread.summary).toBe('Ada talked about her cat Miso.');
    expect(thread.summarizedThrough).toBe(h.threads.messageLists.get('t1')!.at(-1)!.id);
    expect([...h.facts.facts.values()]).toEqual([
      expect.objectContaining({ ownerId: 'ada', text: 'The user has a cat called Miso.', sourceThreadId: 't1', edited: false }),
    ]);
    expect(h.published).toEqual([{ userId: 'ada', reason: 'learned', facts: 1, deletedFacts: 0, deletedSummaries: 0 }]);
  });

  it('reads only the messages after the summary, with the summary and the known facts', async () => {
    h.models.answers = [answer('First summary.', ['The user has a cat called Miso.']), answer('Second summary.', [])];
    h.service.exchangeCompleted('ada', 't1');
    await h.runJobs();
    h.threads.addExchange('t1', 'I also play the cello.', 'Wonderful.');
    h.service.exchangeCompleted('ada', 't1');
    await h.runJobs();
    const second = h.models.generations[1]!.chat.at(-1)!.content;
    expect(second).toContain('Previous summary:\nFirst summary.');
    expect(second).toContain('- The user has a cat called Miso.');
    expect(second).toContain('User: I also play the cello.');
    expect(second).not.toContain('My cat is called Miso.');
    expect(h.threads.threads.get('t1')!.summary).toBe('Second summary.');
  });

  it('keeps a fact once: same words in other case and punctuation, or an embedding this close to a known one', async () => {
    fact(h, 'ada', 'f0', 'The user has a cat called Miso.', { embedding: [1, 0, 0] });
    h.models.vectors.set('The user plays the cello.', [0, 1, 0]);
    h.models.vectors.set('Ada owns a cat named Miso', [0.999, 0.01, 0]);
    h.models.answers = [answer('s', ['the user has a CAT called miso', 'The user plays the cello.', 'The user plays the cello', 'Ada owns a cat named Miso'])];
    h.service.exchangeCompleted('ada', 't1');
    await h.runJobs();
    expect(h.facts.texts('ada').sort()).toEqual(['The user has a cat called Miso.', 'The user plays the cello.']);
  });

  it('never overwrites or drops a fact the user edited; beyond the cap the oldest unedited facts go', async () => {
    h = memoryHarness({ maxFactsPerUser: 2 });
    h.consent.set('ada', true);
    h.threads.addThread('ada', 't1');
    h.threads.addExchange('t1', 'hello', 'hi');
    fact(h, 'ada', '000000000000001-a', 'The user has a cat.');
    fact(h, 'ada', '000000000000002-b', 'The user lives in Lyon.');
    await h.service.update('ada', '000000000000001-a', 'The user has a cat called Miso, 12 years old.');
    h.models.answers = [answer('s', ['The user has a cat.', 'The user plays the cello.'])];
    h.service.exchangeCompleted('ada', 't1');
    await h.runJobs();
    const kept = await h.facts.list('ada');
    expect(kept.map((f) => f.text)).toEqual(['The user has a cat called Miso, 12 years old.', 'The user plays the cello.']);
    expect(kept[0]).toMatchObject({ edited: true });
  });

  it('writes nothing for an answer that is not the JSON asked for, and says so without quoting it', async () => {
    h.models.answers = ['{"summary": "Miso the cat'];
    h.service.exchangeCompleted('ada', 't1');
    await h.runJobs();
    expect(h.threads.threads.get('t1')).toMatchObject({ summary: '', summarizedThrough: '' });
    expect(h.facts.facts.size).toBe(0);
    expect(h.logs.some((line) => String(line.msg).includes('not the JSON'))).toBe(true);
    expect(JSON.stringify(h.logs)).not.toContain('Miso');
  });

  it('logs a failed job by its code, never its message', async () => {
    jest
      .spyOn(h.models, 'generate')
      .mockRejectedValueOnce(Object.assign(new Error('the prompt "My cat is called Miso." is too long'), { code: ModelsErrorCode.PromptTooLong }));
    h.service.exchangeCompleted('ada', 't1');
    await h.runJobs();
    expect(h.logs.find((line) => line.msg === 'Memory job failed; the next exchange tries again')).toMatchObject({ code: 'MODELS_PROMPT_TOO_LONG' });
    expect(JSON.stringify(h.logs)).not.toContain('Miso');
  });

  it("gives a prompt the facts most similar to the message, and summaries of the user's other threads, within the budget", async () => {
    h.threads.threads.get('t1')!.summary = 'They talked about Miso the cat.';
    h.threads.addThread('ada', 't2', 'Music');
    h.threads.threads.get('t2')!.summary = 'Ada practises the cello every day.';
    h.threads.addThread('bob', 'b1');
    h.threads.threads.get('b1')!.summary = "Bob's secret.";
    h.threads.addThread('ada', 'now');
    fact(h, 'ada', 'f1', 'The user has a cat called Miso.', { embedding: [1, 0], at: 1 });
    fact(h, 'ada', 'f2', 'The user plays the cello.', { embedding: [0, 1], at: 2 });
    fact(h, 'bob', 'f3', 'Bob likes jazz.', { embedding: [1, 0] });
    h.models.vectors.set('what should my cat eat?', [0.9, 0.1]);
    const lines = await h.service.promptContext('ada', 'now', 'what should my cat eat?');
    expect(lines).toEqual([
      'Fact about the user: The user has a cat called Miso.',
      'Fact about the user: The user plays the cello.',
      // Both summaries; t2 was updated last.
      'Summary of an earlier conversation ("Music"): Ada practises the cello every day.',
      'Summary of an earlier conversation ("Cats"): They talked about Miso the cat.',
    ]);
    // Not its own thread's summary (the thread itself is in the prompt).
    expect(await h.service.promptContext('ada', 't2', 'what should my cat eat?')).not.toContain(
      'Summary of an earlier conversation ("Music"): Ada practises the cello every day.',
    );
    const small = memoryHarness({ promptBudgetChars: 60 });
    small.consent.set('ada', true);
    fact(small, 'ada', 'f1', 'The user has a cat called Miso.');
    fact(small, 'ada', 'f2', 'The user plays the cello.');
    expect((await small.service.promptContext('ada', 'x', 'hi')).join('').length).toBeLessThanOrEqual(60);
  });

  it('picks the most recent facts first when the message cannot be embedded', async () => {
    fact(h, 'ada', 'f1', 'Old fact.', { embedding: [1, 0], at: 1 });
    fact(h, 'ada', 'f2', 'New fact.', { embedding: [0, 1], at: 5 });
    expect(await h.service.promptContext('ada', 't1', 'no vector for this')).toEqual(['Fact about the user: New fact.', 'Fact about the user: Old fact.']);
  });
});

describe('the user and their memory', () => {
  let h: MemoryHarness;
  beforeEach(() => {
    h = memoryHarness();
    h.consent.set('ada', true);
    h.threads.addThread('ada', 't1', 'Cats');
    h.threads.threads.get('t1')!.summary = 'Cats.';
    h.threads.threads.get('t1')!.summarizedThrough = 'm1';
    h.threads.addThread('ada', 't2', 'Other');
    fact(h, 'ada', 'f1', 'The user has a cat.', { sourceThreadId: 't1' });
    fact(h, 'ada', 'f2', 'The user lives in Lyon.', { sourceThreadId: 't2' });
    fact(h, 'bob', 'fb', 'Bob likes jazz.');
  });

  it('lists every fact with the title of its thread, whether memory is on, and the number of summaries', async () => {
    const list = await h.service.list('ada');
    expect(list.enabled).toBe(true);
    expect(list.facts.map((view) => [view.fact!.text, view.sourceThreadTitle])).toEqual([
      ['The user has a cat.', 'Cats'],
      ['The user lives in Lyon.', 'Other'],
    ]);
    expect(list.summaries).toBe(1);
    h.consent.set('ada', false);
    expect((await h.service.list('ada')).enabled).toBe(false);
  });

  it('edits a fact (checked text), and refuses an unknown fact or one of another user alike', async () => {
    const view = await h.service.update('ada', 'f1', '  The user has a cat   called Miso. ');
    expect(view).toMatchObject({ fact: { id: 'f1', text: 'The user has a cat called Miso.', edited: true }, sourceThreadTitle: 'Cats' });
    expect(h.published.at(-1)).toMatchObject({ userId: 'ada', reason: 'edited', facts: 2 });
    await expect(h.service.update('ada', 'f1', '   ')).rejects.toMatchObject({ code: ConversationErrorCode.InvalidArgument, details: { field: 'text' } });
    await expect(h.service.update('ada', 'f1', 'x'.repeat(501))).rejects.toMatchObject({
      code: ConversationErrorCode.InvalidArgument,
      message: 'The fact is 501 characters long; at most 500.',
    });
    await expect(h.service.update('ada', 'fb', 'mine now')).rejects.toMatchObject({ code: ConversationErrorCode.FactNotFound });
    await expect(h.service.update('ada', 'nope', 'text')).rejects.toMatchObject({ code: ConversationErrorCode.FactNotFound });
    expect(h.facts.facts.get('fb')!.text).toBe('Bob likes jazz.');
  });

  it('deletes one fact, not another user’s', async () => {
    await expect(h.service.delete('ada', 'fb')).rejects.toMatchObject({ code: ConversationErrorCode.FactNotFound });
    await h.service.delete('ada', 'f1');
    expect(h.facts.texts('ada')).toEqual(['The user lives in Lyon.']);
    expect(h.facts.texts('bob')).toEqual(['Bob likes jazz.']);
    expect(h.published.at(-1)).toEqual({ userId: 'ada', reason: 'deleted', facts: 1, deletedFacts: 1, deletedSummaries: 0 });
  });

  it('forgets everything of the user: facts and summaries, with the counts', async () => {
    expect(await h.service.forget('ada')).toMatchObject({ deletedFacts: 2, deletedSummaries: 1 });
    expect(h.facts.texts('ada')).toEqual([]);
    expect(h.facts.texts('bob')).toEqual(['Bob likes jazz.']);
    expect(h.threads.threads.get('t1')).toMatchObject({ summary: '', summarizedThrough: '' });
    expect(h.published.at(-1)).toEqual({ userId: 'ada', reason: 'forgotten', facts: 0, deletedFacts: 2, deletedSummaries: 1 });
  });

  it('deletes the facts learnt from a deleted thread', async () => {
    await h.service.threadDeleted('ada', 't1');
    expect(h.facts.texts('ada')).toEqual(['The user lives in Lyon.']);
    expect(h.published.at(-1)).toMatchObject({ userId: 'ada', reason: 'deleted', deletedFacts: 1 });
  });
});

describe('consent withdrawn', () => {
  it.each([
    ['stops when cancelled', false],
    ['answers anyway', true],
  ])('deletes the memory, cancels waiting and running jobs, and says so (a models service that %s)', async (_, ignoreAbort) => {
    const h = memoryHarness();
    h.consent.set('ada', true);
    h.threads.addThread('ada', 't1');
    h.threads.addExchange('t1', 'My cat is called Miso.', 'Lovely.');
    h.threads.addThread('ada', 't2');
    h.threads.addExchange('t2', 'I live in Lyon.', 'Nice.');
    h.threads.threads.get('t2')!.summary = 'Lyon.';
    fact(h, 'ada', 'f1', 'The user plays the cello.');
    h.models.answers = [answer('Miso.', ['The user has a cat called Miso.'])];
    const held = h.models.holdNext(ignoreAbort);
    h.service.exchangeCompleted('ada', 't1');
    await new Promise((resolve) => setImmediate(resolve));
    h.schedule.fire();
    await held.started;
    // t2's job waits for its quiet time while t1's runs.
    h.service.exchangeCompleted('ada', 't2');
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.schedule.waiting).toBe(1);

    h.consent.set('ada', false);
    await h.service.consentChanged({ userId: 'ada', purpose: MEMORY_CONSENT_PURPOSE, granted: false });
    held.release();
    h.schedule.fire();
    await h.service.jobs.whenIdle();

    expect(h.models.generations).toHaveLength(1);
    expect(h.facts.facts.size).toBe(0);
    expect(h.threads.threads.get('t1')).toMatchObject({ summary: '', summarizedThrough: '' });
    expect(h.threads.threads.get('t2')).toMatchObject({ summary: '' });
    expect(h.published).toEqual([{ userId: 'ada', reason: 'consent_withdrawn', facts: 0, deletedFacts: 1, deletedSummaries: 1 }]);
    expect(await h.service.promptContext('ada', 't3', 'my cat?')).toEqual([]);
  });

  it('deletes memory it finds without consent when the memory page is listed (a withdrawal whose deletion failed)', async () => {
    const h = memoryHarness();
    h.threads.addThread('ada', 't1');
    h.threads.threads.get('t1')!.summary = 'Lyon.';
    fact(h, 'ada', 'f1', 'The user plays the cello.');
    const deleteAll = jest
      .spyOn(h.facts, 'deleteAll')
      .mockRejectedValueOnce(Object.assign(new Error('storage did not answer'), { code: StorageClientErrorCode.NotAcknowledged }));
    await h.service.consentChanged({ userId: 'ada', purpose: MEMORY_CONSENT_PURPOSE, granted: false });
    expect(h.facts.facts.size).toBe(1);
    expect(h.logs.find((line) => line.level === 50)).toMatchObject({ user: 'ada', code: 'STORAGE_NOT_ACKNOWLEDGED' });
    deleteAll.mockRestore();
    // A consent check without an answer deletes nothing.
    const noAnswer = memoryHarness({}, { failConsent: true });
    fact(noAnswer, 'ada', 'f1', 'The user plays the cello.');
    expect(await noAnswer.service.list('ada')).toMatchObject({ enabled: false, summaries: 0 });
    expect(noAnswer.facts.facts.size).toBe(1);
    expect(await h.service.list('ada')).toMatchObject({ enabled: false, facts: [], summaries: 0 });
    expect(h.facts.facts.size).toBe(0);
    expect(h.threads.threads.get('t1')!.summary).toBe('');
    expect(h.published).toEqual([{ userId: 'ada', reason: 'consent_withdrawn', facts: 0, deletedFacts: 1, deletedSummaries: 1 }]);
  });

  it('deletes memory it finds without consent when a prompt is built (a withdrawal this process never heard), and says so', async () => {
    const h = memoryHarness();
    h.threads.addThread('ada', 't1');
    h.threads.threads.get('t1')!.summary = 'Lyon.';
    fact(h, 'ada', 'f1', 'The user plays the cello.');
    // No consentChanged event: the service was down when consent was withdrawn.
    expect(await h.service.promptContext('ada', 't2', 'hello')).toEqual([]);
    await h.service.jobs.whenIdle();
    for (let i = 0; i < 20 && h.published.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(h.facts.facts.size).toBe(0);
    expect(h.threads.threads.get('t1')!.summary).toBe('');
    expect(h.published).toEqual([{ userId: 'ada', reason: 'consent_withdrawn', facts: 0, deletedFacts: 1, deletedSummaries: 1 }]);
    // A consent check without an answer deletes nothing.
    const noAnswer = memoryHarness({}, { failConsent: true });
    fact(noAnswer, 'ada', 'f1', 'The user plays the cello.');
    expect(await noAnswer.service.promptContext('ada', 't2', 'hello')).toEqual([]);
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(noAnswer.facts.facts.size).toBe(1);
  });

  it('ignores other purposes and grants', async () => {
    const h = memoryHarness();
    fact(h, 'ada', 'f1', 'The user plays the cello.');
    await h.service.consentChanged({ userId: 'ada', purpose: 'voice', granted: false });
    await h.service.consentChanged({ userId: 'ada', purpose: MEMORY_CONSENT_PURPOSE, granted: true });
    expect(h.facts.facts.size).toBe(1);
    expect(h.published).toEqual([]);
  });
});
