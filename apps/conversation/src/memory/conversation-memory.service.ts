// Conversation memory, only with `conversation.memory` consent. With it, a background job after each exchange keeps
// the thread's rolling summary and a short list of facts about the user (each with the thread it came from), and a
// new message's prompt gets the most relevant facts and the summaries of the user's other recent threads. Without
// it nothing is read for a prompt and nothing is kept. The user lists, edits and deletes facts, or forgets
// everything; withdrawing consent deletes it all and says so (`conversation.memory.changed`, consent_withdrawn).
// No text of the user's reaches a log line or an error message here: logs name codes and counts only.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import {
  MAX_MEMORY_FACT_CHARS,
  MEMORY_CONSENT_PURPOSE,
  MemoryFactSchema,
  type ConsentChanged,
  type ForgetMemoryResponse,
  type MemoryChangedSchema,
  type MemoryFact,
  type MemoryFactView,
  type ListMemoryResponse,
  type Thread,
  MemoryFactViewSchema,
  ListMemoryResponseSchema,
} from '@aico/contracts';
import { KeyedMutex } from '@aico/concurrency';
import type { Logger } from '@aico/logging';
import { ConversationError, ConversationErrorCode } from '../conversation.error';
import type { ThreadStorePort } from '../threads/thread-store.port';
import type { ConversationMemoryPort } from './conversation-memory.port';
import type { ConsentGate } from './consent-gate';
import { extractionChat, extractionSchema, normalizeFact, parseExtraction, rememberable } from './memory-extraction';
import { newFactId, type MemoryFactStore } from './memory-fact-store';
import { MemoryJobQueue, type MemoryJob, type Schedule } from './memory-job-queue';
import type { MemoryModels } from './memory-models';
import { cosine, rankFacts, recentSummaries, withinBudget } from './memory-relevance';
import type { MemoryConfig } from './memory.config';

/** The longest fact a user may write (characters). */
const MAX_FACT_CHARS = MAX_MEMORY_FACT_CHARS;
/** Two facts this similar (cosine of their embeddings) say the same thing: the newer one is not kept. */
const DUPLICATE_SIMILARITY = 0.95;

export type MemoryChangeReason = 'learned' | 'edited' | 'deleted' | 'forgotten' | 'consent_withdrawn';

export interface ConversationMemoryDeps {
  readonly config: MemoryConfig;
  readonly consent: ConsentGate;
  readonly facts: MemoryFactStore;
  readonly threads: ThreadStorePort;
  readonly models: MemoryModels;
  /** Publishes `conversation.memory.changed` to that user. */
  readonly publish: (changed: MessageInitShape<typeof MemoryChangedSchema> & { userId: string }) => Promise<void>;
  readonly logger: Logger;
  readonly schedule?: Schedule;
}

/** An error as a log may carry it: its name and code, never its message (it might quote what someone said). */
export const errorFacts = (error: unknown): { error: string; code?: string } => {
  const code = (error as { code?: unknown } | undefined)?.code;
  return { error: (error as Error | undefined)?.name ?? typeof error, ...(typeof code === 'string' ? { code } : {}) };
};

export class ConversationMemoryService implements ConversationMemoryPort {
  readonly jobs: MemoryJobQueue;
  /** Users whose answered "no" was already followed by a look for memory kept without consent (once a run). */
  private readonly checkedWithoutConsent = new Set<string>();
  /** Bumped when a user's memory is wiped (forget, consent withdrawn): a job that began before does not write after. */
  private readonly epochs = new Map<string, number>();
  /** One change of a user's memory at a time (a job's writes, forget, edits): a wipe never races a write. */
  private readonly locks = new KeyedMutex();

  constructor(private readonly deps: ConversationMemoryDeps) {
    this.jobs = new MemoryJobQueue((job) => this.runJob(job), {
      debounceMs: deps.config.debounceMs,
      ...(deps.schedule ? { schedule: deps.schedule } : {}),
      onError: (error) => deps.logger.warn(errorFacts(error), 'Memory job failed; the next exchange tries again'),
    });
  }

  async promptContext(userId: string, threadId: string, latestText: string): Promise<readonly string[]> {
    const consent = await this.deps.consent.answer(userId);
    if (!consent.granted) {
      // A withdrawal this process never heard (it was down, or storage failed then) is caught up on here, once a run.
      if (consent.answered && !this.checkedWithoutConsent.has(userId)) {
        this.checkedWithoutConsent.add(userId);
        void this.deleteKeptWithoutConsent(userId).catch((error: unknown) =>
          this.deps.logger.warn(errorFacts(error), 'Memory kept without consent not deleted yet; the memory page deletes it'),
        );
      }
      return [];
    }
    this.checkedWithoutConsent.delete(userId);
    const { config } = this.deps;
    try {
      const [facts, threads] = await Promise.all([
        this.deps.facts.list(userId),
        config.promptSummaries > 0 ? this.deps.threads.allThreads(userId) : Promise.resolve([]),
      ]);
      const query = facts.some((fact) => fact.embedding.length > 0) && latestText.trim() !== '' ? await this.embedOne(latestText) : undefined;
      return withinBudget(rankFacts(facts, query), recentSummaries(threads, threadId, config.promptSummaries), config.promptBudgetChars);
    } catch (error) {
      // A reply goes on without memory rather than not at all.
      this.deps.logger.warn(errorFacts(error), 'Memory not read for a prompt');
      return [];
    }
  }

  exchangeCompleted(userId: string, threadId: string): void {
    void this.deps.consent.granted(userId).then((granted) => {
      if (granted) this.jobs.enqueue(userId, threadId);
    });
  }

  /** After an answered no: memory still kept (a withdrawal that was missed or failed) is deleted and the user told. */
  private async deleteKeptWithoutConsent(userId: string): Promise<void> {
    const [facts, threads] = await Promise.all([this.deps.facts.list(userId), this.deps.threads.allThreads(userId)]);
    if (keptAnything(facts, threads)) await this.forget(userId, 'consent_withdrawn');
  }

  async threadDeleted(userId: string, threadId: string): Promise<void> {
    this.jobs.cancel(userId, threadId);
    const deleted = await this.locks.run(userId, async () => {
      const learnt = (await this.deps.facts.list(userId)).filter((fact) => fact.sourceThreadId === threadId);
      for (const fact of learnt) await this.deps.facts.delete(fact.id);
      return learnt.length;
    });
    if (deleted > 0) await this.changed(userId, 'deleted', { deletedFacts: deleted });
  }

  async list(userId: string): Promise<ListMemoryResponse> {
    const [consent, facts, threads] = await Promise.all([this.deps.consent.answer(userId), this.deps.facts.list(userId), this.deps.threads.allThreads(userId)]);
    const enabled = consent.granted;
    if (!enabled && consent.answered && keptAnything(facts, threads)) {
      // Memory kept without consent: its deletion when consent was withdrawn failed (storage did not answer then).
      // Only on an answered no: a consent check that got no answer deletes nothing.
      await this.forget(userId, 'consent_withdrawn');
      return create(ListMemoryResponseSchema, { enabled, facts: [], summaries: 0 });
    }
    const titles = new Map(threads.map((thread) => [thread.id, thread.title]));
    return create(ListMemoryResponseSchema, {
      enabled,
      facts: facts.map((fact) => ({ fact, sourceThreadTitle: titles.get(fact.sourceThreadId) ?? '' })),
      summaries: threads.filter((thread) => thread.summary !== '').length,
    });
  }

  async update(userId: string, factId: string, text: string): Promise<MemoryFactView> {
    const wanted = text.replace(/\s+/g, ' ').trim();
    if (wanted === '')
      throw new ConversationError(ConversationErrorCode.InvalidArgument, 'The fact is empty: write what the companion should remember, or delete the fact.', {
        field: 'text',
      });
    if (wanted.length > MAX_FACT_CHARS)
      throw new ConversationError(ConversationErrorCode.InvalidArgument, `The fact is ${wanted.length} characters long; at most ${MAX_FACT_CHARS}.`, {
        field: 'text',
        maxChars: String(MAX_FACT_CHARS),
      });
    const fact = await this.locks.run(userId, async () => {
      const found = await this.ownFact(userId, factId);
      found.text = wanted;
      found.edited = true;
      found.updatedAt = timestampNow();
      // The old vector no longer says what the fact says: a new one, or none (it is then picked by recency).
      found.embedding = (await this.embedOne(wanted)) ?? [];
      await this.deps.facts.put(found);
      return found;
    });
    await this.changed(userId, 'edited');
    return create(MemoryFactViewSchema, { fact, sourceThreadTitle: await this.titleOf(userId, fact.sourceThreadId) });
  }

  async delete(userId: string, factId: string): Promise<void> {
    await this.locks.run(userId, async () => {
      await this.ownFact(userId, factId);
      await this.deps.facts.delete(factId);
    });
    await this.changed(userId, 'deleted', { deletedFacts: 1 });
  }

  /** Deletes every fact and summary of the user, and their waiting or running memory jobs. */
  async forget(userId: string, reason: 'forgotten' | 'consent_withdrawn' = 'forgotten'): Promise<ForgetMemoryResponse> {
    this.epochs.set(userId, this.epochOf(userId) + 1);
    this.jobs.cancel(userId);
    const counts = await this.locks.run(userId, async () => {
      const deletedFacts = await this.deps.facts.deleteAll(userId);
      let deletedSummaries = 0;
      for (const thread of await this.deps.threads.allThreads(userId)) {
        if (thread.summary === '' && thread.summarizedThrough === '') continue;
        if (thread.summary !== '') deletedSummaries++;
        await this.ignoreGoneThread(
          this.deps.threads.updateThread(userId, thread.id, (current) => {
            current.summary = '';
            current.summarizedThrough = '';
          }),
        );
      }
      return { deletedFacts, deletedSummaries };
    });
    await this.changed(userId, reason, counts);
    this.deps.logger.info({ user: userId, reason, ...counts }, 'Memory deleted');
    return { $typeName: 'aico.conversation.v1.ForgetMemoryResponse', ...counts };
  }

  /** `privacy.consent.changed`: the answer holds at once; a withdrawal of memory consent deletes the memory. */
  async consentChanged(event: Pick<ConsentChanged, 'userId' | 'purpose' | 'granted'>): Promise<void> {
    if (event.purpose !== MEMORY_CONSENT_PURPOSE || event.userId === '') return;
    this.deps.consent.decided(event.userId, event.granted);
    if (event.granted) return;
    try {
      await this.forget(event.userId, 'consent_withdrawn');
    } catch (error) {
      // Nothing is read or kept from now on (the decision holds); what is stored goes when the memory page is next
      // listed (list deletes memory it finds without consent).
      this.deps.logger.error(
        { user: event.userId, ...errorFacts(error) },
        'Memory not deleted after consent was withdrawn; it is deleted when the memory page is next listed',
      );
    }
  }

  stop(): Promise<void> {
    return this.jobs.stop();
  }

  /** One thread's update: its summary brought up to date and the new facts of its latest messages. */
  private async runJob({ userId, threadId, signal }: MemoryJob): Promise<void> {
    if (!(await this.deps.consent.granted(userId))) return;
    const epoch = this.epochOf(userId);
    const { config } = this.deps;
    const thread = await this.ignoreGoneThread(this.deps.threads.getThread(userId, threadId));
    if (!thread) return;
    const messages = rememberable(await this.deps.threads.messages(threadId, thread.summarizedThrough || undefined));
    const last = messages.at(-1);
    if (!last) return;
    const known = await this.deps.facts.list(userId);
    const text = await this.deps.models.generate({
      chat: extractionChat({ summary: thread.summary, knownFacts: known.map((fact) => fact.text), messages, maxInputChars: config.maxInputChars }),
      jsonSchema: extractionSchema(config),
      maxTokens: config.maxTokens,
      userId,
      timeoutMs: config.jobTimeoutMs,
      signal,
    });
    const extracted = parseExtraction(text, config);
    if (!extracted) {
      this.deps.logger.warn(
        { user: userId, thread: threadId, chars: text.length },
        'Memory job: the answer was not the JSON asked for; the next exchange tries again',
      );
      return;
    }
    const fresh = await this.newFacts(known, extracted.facts, signal);
    const learnt = await this.locks.run(userId, async () => {
      if (signal.aborted || this.epochOf(userId) !== epoch || !(await this.deps.consent.granted(userId))) return undefined;
      const updated = await this.ignoreGoneThread(
        this.deps.threads.updateThread(userId, threadId, (current) => {
          if (extracted.summary !== '') current.summary = extracted.summary;
          current.summarizedThrough = last.id;
        }),
      );
      if (!updated) return undefined;
      const now = Date.now();
      for (const [index, candidate] of fresh.entries()) {
        const at = timestampNow();
        await this.deps.facts.put(
          create(MemoryFactSchema, {
            id: newFactId(now + index),
            ownerId: userId,
            text: candidate.text,
            sourceThreadId: threadId,
            createdAt: at,
            updatedAt: at,
            embedding: candidate.embedding,
          }),
        );
      }
      return { added: fresh.length, total: await this.keepWithinCap(userId) };
    });
    if (!learnt) return;
    this.deps.logger.info({ user: userId, thread: threadId, added: learnt.added, facts: learnt.total }, 'Memory updated');
    if (learnt.added > 0) await this.changed(userId, 'learned', { facts: learnt.total });
  }

  /** The extracted facts not known yet (same words, or an embedding this close to a known one), with their vectors. */
  private async newFacts(known: readonly MemoryFact[], extracted: readonly string[], signal: AbortSignal): Promise<{ text: string; embedding: number[] }[]> {
    const seen = new Set(known.map((fact) => normalizeFact(fact.text)));
    const candidates: string[] = [];
    for (const text of extracted) {
      const normalized = normalizeFact(text);
      if (normalized === '' || seen.has(normalized)) continue;
      seen.add(normalized);
      candidates.push(text);
    }
    if (candidates.length === 0) return [];
    let vectors: number[][] = [];
    try {
      vectors = await this.deps.models.embed(candidates, this.deps.config.embedTimeoutMs, signal);
    } catch (error) {
      // No embedding model (or it failed): the facts are kept without vectors and picked by recency.
      this.deps.logger.debug(errorFacts(error), 'Facts kept without embeddings');
    }
    const accepted: { text: string; embedding: number[] }[] = [];
    for (const [index, text] of candidates.entries()) {
      const embedding = vectors[index] ?? [];
      const compared = [...known.map((fact) => fact.embedding), ...accepted.map((fact) => fact.embedding)];
      if (embedding.length > 0 && compared.some((other) => cosine(embedding, other) >= DUPLICATE_SIMILARITY)) continue;
      accepted.push({ text, embedding });
    }
    return accepted;
  }

  /** At most maxFactsPerUser facts: the oldest the user did not edit go first (edited ones are never dropped). */
  private async keepWithinCap(userId: string): Promise<number> {
    const facts = await this.deps.facts.list(userId);
    let deleted = 0;
    for (const fact of facts) {
      if (facts.length - deleted <= this.deps.config.maxFactsPerUser) break;
      if (fact.edited) continue;
      await this.deps.facts.delete(fact.id);
      deleted++;
    }
    return facts.length - deleted;
  }

  private async ownFact(userId: string, factId: string): Promise<MemoryFact> {
    const fact = factId === '' ? undefined : await this.deps.facts.get(factId);
    // Another user's fact answers the same as none: its existence is not told.
    if (!fact || fact.ownerId !== userId)
      throw new ConversationError(ConversationErrorCode.FactNotFound, 'No such fact in your memory (it may have been deleted).', { factId });
    return fact;
  }

  private async embedOne(text: string): Promise<number[] | undefined> {
    try {
      const [vector] = await this.deps.models.embed([text], this.deps.config.embedTimeoutMs);
      return vector && vector.length > 0 ? vector : undefined;
    } catch (error) {
      this.deps.logger.debug(errorFacts(error), 'No embedding; facts are picked by recency');
      return undefined;
    }
  }

  private async titleOf(userId: string, threadId: string): Promise<string> {
    if (threadId === '') return '';
    return (await this.ignoreGoneThread(this.deps.threads.getThread(userId, threadId)))?.title ?? '';
  }

  /** A thread deleted meanwhile is no error for memory: undefined. */
  private async ignoreGoneThread<T>(work: Promise<T>): Promise<T | undefined> {
    try {
      return await work;
    } catch (error) {
      if ((error as { code?: unknown }).code === ConversationErrorCode.ThreadNotFound) return undefined;
      throw error;
    }
  }

  private async changed(
    userId: string,
    reason: MemoryChangeReason,
    counts: { facts?: number; deletedFacts?: number; deletedSummaries?: number } = {},
  ): Promise<void> {
    const facts = counts.facts ?? (reason === 'forgotten' || reason === 'consent_withdrawn' ? 0 : (await this.deps.facts.list(userId)).length);
    try {
      await this.deps.publish({ userId, reason, facts, deletedFacts: counts.deletedFacts ?? 0, deletedSummaries: counts.deletedSummaries ?? 0 });
    } catch (error) {
      this.deps.logger.warn(errorFacts(error), 'conversation.memory.changed not published');
    }
  }

  private epochOf(userId: string): number {
    return this.epochs.get(userId) ?? 0;
  }
}

function keptAnything(facts: readonly MemoryFact[], threads: readonly Pick<Thread, 'summary'>[]): boolean {
  return facts.length > 0 || threads.some((thread) => thread.summary !== '');
}
