// Conversation memory only with `conversation.memory` consent, with real processes: bus, keys, storage, monitor, the
// models app (a generated chat model, and a generated model for background work and embeddings), the conversation
// app, and the real gateway for consent (a user's PUT /consent decision, its `privacy.consent.changed`, and the
// `privacy.consent.check` the conversation service asks). The models app writes every prompt it receives to its
// prompt log (models.promptLogFile), so the test reads exactly what the model was given.
//   - Off: a second thread's prompt holds nothing of the first; no memory job reads the conversation; nothing kept.
//   - On: after an exchange the background job (JSON-schema output) keeps a summary and facts; the facts are listed
//     with their thread, and the next thread's prompt carries them. The generated model writes arbitrary text under
//     the schema: the test asserts on whatever facts it produced.
//   - Withdrawn: the memory is deleted, and `conversation.memory.changed` says so (consent_withdrawn, with counts).
//   - The raw database, its WAL and the log files hold none of the conversation's text.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConversationTopics, MEMORY_CONSENT_PURPOSE, ModelPurpose, type ListMemoryResponse, type MemoryChanged } from '@aico/contracts';
import { ConsentGateway } from '../support/consent-gateway';
import { CONVERSATION_STACK_START_TIMEOUT_MS, ConversationStack } from '../support/conversation-stack';
import { eventually } from '../support/system-bus';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';
import { NORMAL_MONITOR_ENV } from '../models/models-stack';

const PASSWORD = 'Memory-test-password-2026!';
/** What the memory job's instructions begin with (memory-extraction.ts): tells its prompts from replies' prompts. */
const MEMORY_JOB = 'You keep the memory of a companion app.';

interface PromptEntry {
  readonly generation: string;
  readonly requester: string;
  readonly model: string;
  readonly prompt: string;
}

describe('conversation memory only with consent', () => {
  let stack: ConversationStack;
  let gateway: ConsentGateway;
  let logDir: string;
  let promptLog: string;
  const secret = { ada: `ada-${randomUUID()}`, bea: `bea-${randomUUID()}`, beaLater: `later-${randomUUID()}` };
  const tokens: Record<string, string> = {};

  const prompts = async (): Promise<PromptEntry[]> =>
    (await readFile(promptLog, 'utf8').catch(() => ''))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as PromptEntry);
  /** The prompt of the reply that answered `text` (once the models app has written it). */
  const replyPrompt = (text: string): Promise<PromptEntry> =>
    eventually(
      async () => (await prompts()).find((entry) => entry.requester === 'conversation' && !entry.prompt.includes(MEMORY_JOB) && entry.prompt.includes(text)),
      `the prompt of the reply to "${text}"`,
      SIGNAL_TIMEOUT_MS,
    );
  const memory = (userId: string): Promise<ListMemoryResponse> => stack.gateway.request(ConversationTopics.memoryList, { userId });
  const changed = (userId: string, reason: string): Promise<{ payload: MemoryChanged; attributes: Readonly<Record<string, string>> }> =>
    stack.events
      .waitFor(
        (event) =>
          event.topic === ConversationTopics.memoryChanged.topic &&
          (event.payload as MemoryChanged).userId === userId &&
          (event.payload as MemoryChanged).reason === reason,
        `memory of ${userId} ${reason}`,
      )
      .then((event) => ({ payload: event.payload as MemoryChanged, attributes: event.attributes }));
  const memoryUpdated = (userId: string) =>
    stack
      .process('conversation')
      .waitFor((line) => line.msg === 'Memory updated' && line['user'] === userId, SIGNAL_TIMEOUT_MS, `"Memory updated" for ${userId}`);

  beforeAll(
    async () => {
      logDir = await mkdtemp(join(tmpdir(), 'aico-prompt-log-'));
      promptLog = join(logDir, 'prompts.jsonl');
      stack = await ConversationStack.start({
        modelsEnv: { AICO_MODELS__PROMPT_LOG_FILE: promptLog },
        conversationEnv: {
          // The job right after each exchange, small bounds so the generated model's JSON stays short.
          AICO_CONVERSATION__MEMORY__DEBOUNCE_MS: '0',
          AICO_CONVERSATION__MEMORY__SUMMARY_MAX_CHARS: '60',
          AICO_CONVERSATION__MEMORY__FACT_MAX_CHARS: '40',
          AICO_CONVERSATION__MEMORY__MAX_FACTS_PER_EXCHANGE: '2',
          AICO_CONVERSATION__MEMORY__CONSENT_CACHE_MS: '0',
          // Short replies: the test is about what reaches the prompt, not about long replies.
          AICO_CONVERSATION__DEFAULT_MAX_TOKENS: '24',
        },
        // The gateway reports the user's requests as activity, which holds background work: a short idle time so the
        // memory job runs soon after (it still waits for the monitor, as it must).
        monitorEnv: { ...NORMAL_MONITOR_ENV, AICO_MONITOR__ACTIVITY__IDLE_AFTER_MS: '1000' },
        // Every app's log into files at debug level: not even a debug line may carry what the users said.
        everyAppEnv: { AICO_LOG__FILE: 'true', AICO_LOG__LEVEL: 'debug' },
      });
      // The model for background work (the memory job) and embeddings: the generator's default vocabulary has the
      // characters JSON needs.
      await stack.models.addModel('memory', { context: 4096 }, [ModelPurpose.BACKGROUND, ModelPurpose.EMBEDDING]);
      gateway = await ConsentGateway.start(stack);
      tokens['ada'] = await gateway.user('ada', PASSWORD);
      tokens['bea'] = await gateway.user('bea', PASSWORD);
    },
    CONVERSATION_STACK_START_TIMEOUT_MS + 2 * SIGNAL_TIMEOUT_MS,
  );

  afterAll(async () => {
    await gateway?.stop();
    await stack?.stop();
    await rm(logDir, { recursive: true, force: true });
  });

  it('without consent: the second thread’s prompt holds nothing of the first, and nothing is remembered', async () => {
    await gateway.consent(tokens['ada']!, MEMORY_CONSENT_PURPOSE, false);
    const first = await stack.exchange('ada', `My secret word is ${secret.ada}. Remember it.`);
    expect(first.completed.status).toBeTruthy();
    const second = await stack.exchange('ada', 'What is my secret word?');
    expect(second.sent.thread!.id).not.toBe(first.sent.thread!.id);

    const prompt = await replyPrompt('What is my secret word?');
    expect(prompt.prompt).not.toContain(secret.ada);
    expect(prompt.prompt).not.toContain('What you remember');
    const list = await memory('ada');
    expect({ enabled: list.enabled, facts: list.facts.length, summaries: list.summaries }).toEqual({ enabled: false, facts: 0, summaries: 0 });
    const thread = await stack.gateway.request(ConversationTopics.threadGet, { userId: 'ada', threadId: first.sent.thread!.id });
    expect(thread.thread).toMatchObject({ summary: '', summarizedThrough: '' });
  });

  let learnt: string[] = [];

  it('with consent: the background job keeps facts and a summary; the facts are listed and reach the next thread’s prompt', async () => {
    await gateway.consent(tokens['bea']!, MEMORY_CONSENT_PURPOSE, true);
    const first = await stack.exchange('bea', `My name is Bea and my code word is ${secret.bea}.`);
    await memoryUpdated('bea');

    // The job read the conversation, through the background model, with its schema-constrained answer.
    const jobPrompts = (await prompts()).filter((entry) => entry.prompt.includes(MEMORY_JOB) && entry.prompt.includes(secret.bea));
    expect(jobPrompts).toHaveLength(1);
    expect(jobPrompts[0]).toMatchObject({ requester: 'conversation', model: 'memory' });

    const list = await memory('bea');
    expect(list.enabled).toBe(true);
    expect(list.summaries).toBe(1);
    // Whatever the generated model wrote under the schema (it cannot know what was said): at least one fact, each
    // with the thread it came from.
    expect(list.facts.length).toBeGreaterThan(0);
    for (const view of list.facts)
      expect(view).toMatchObject({
        fact: { ownerId: 'bea', sourceThreadId: first.sent.thread!.id, edited: false },
        sourceThreadTitle: first.sent.thread!.title,
      });
    learnt = list.facts.map((view) => view.fact!.text);
    const learned = await changed('bea', 'learned');
    expect(learned.payload.facts).toBe(learnt.length);
    expect(learned.attributes['user']).toBe('bea');

    const next = `A new thread ${secret.beaLater}`;
    await stack.exchange('bea', next);
    const prompt = (await replyPrompt(next)).prompt;
    expect(prompt).toContain('What you remember from earlier conversations with this user:');
    for (const fact of learnt) expect(prompt).toContain(`Fact about the user: ${fact}`);
    expect(prompt).toContain(`Summary of an earlier conversation ("${first.sent.thread!.title}")`);

    // Ada's memory stayed off all along: no job read her conversation, nothing of hers or Bea's crossed over.
    expect((await prompts()).filter((entry) => entry.prompt.includes(MEMORY_JOB) && entry.prompt.includes(secret.ada))).toEqual([]);
    expect((await memory('ada')).facts).toEqual([]);
  });

  it('withdrawing consent deletes the memory and says so', async () => {
    await gateway.consent(tokens['bea']!, MEMORY_CONSENT_PURPOSE, false);
    const withdrawn = await changed('bea', 'consent_withdrawn');
    expect(withdrawn.payload).toMatchObject({ userId: 'bea', facts: 0, deletedFacts: learnt.length });
    expect(withdrawn.payload.deletedSummaries).toBeGreaterThanOrEqual(1);
    expect(withdrawn.attributes['user']).toBe('bea');
    const list = await memory('bea');
    expect({ enabled: list.enabled, facts: list.facts.length, summaries: list.summaries }).toEqual({ enabled: false, facts: 0, summaries: 0 });

    // And a new thread's prompt has nothing of the earlier ones any more.
    const after = `After withdrawing ${randomUUID()}`;
    await stack.exchange('bea', after);
    const prompt = (await replyPrompt(after)).prompt;
    expect(prompt).not.toContain('What you remember');
    expect(prompt).not.toContain(secret.bea);
    for (const fact of learnt) expect(prompt).not.toContain(fact);
  });

  it('leaves none of the conversation’s text in plaintext in the database, its WAL or the logs', async () => {
    const { environment } = stack.models;
    const said = [secret.ada, secret.bea, secret.beaLater];
    const scan = async (): Promise<string[]> => {
      const files = (await readdir(environment.dir, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) => join(entry.parentPath, entry.name));
      for (const file of files) {
        const bytes = await readFile(file);
        const found = said.filter((text) => bytes.includes(text) || bytes.includes(Buffer.from(text, 'utf16le')));
        expect({ file, found }).toEqual({ file, found: [] });
      }
      return files;
    };
    // While everything runs: the database and its WAL as they are.
    expect(await scan()).toEqual(expect.arrayContaining([join(environment.dir, 'aico.db'), join(environment.dir, 'aico.db-wal')]));
    // Stopped cleanly, storage last: the WAL checkpointed into the database file, the logs complete.
    for (const name of ['conversation', 'gateway', 'models', 'monitor', 'storage'])
      expect(await stack.process(name).stop(SIGNAL_TIMEOUT_MS)).toEqual({ code: 0, signal: null });
    expect(stack.process('storage').lines.some((line) => line.msg === 'Database checkpointed and closed')).toBe(true);
    const files = await scan();
    expect(files).toContain(join(environment.dir, 'aico.db'));
    expect(files.some((file) => file.startsWith(join(environment.dir, 'logs', 'conversation')))).toBe(true);
    // The prompt log (a diagnostic outside the data directory) is the only plaintext, and its user's alone.
    expect((await stat(promptLog)).mode & 0o777).toBe(0o600);
  });
});
