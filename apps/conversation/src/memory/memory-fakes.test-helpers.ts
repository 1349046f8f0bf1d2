// Stand-ins at the edges of the memory service for its unit specs: threads and facts kept in maps, a models service
// that answers what the test says and records what it was asked, a consent answer the test sets, and a schedule the
// test fires by hand (no timer decides when a job runs).
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { BusError, BusErrorCode } from '@aico/bus';
import {
  MessageRole,
  MessageStatus,
  MemoryFactSchema,
  ModelsErrorCode,
  ThreadMessageSchema,
  ThreadSchema,
  type MemoryFact,
  type Thread,
  type ThreadMessage,
} from '@aico/contracts';
import { captureLogger, type CapturedLog } from '@aico/logging';
import { ConversationError, ConversationErrorCode } from '../conversation.error';
import type { ThreadStorePort } from '../threads/thread-store.port';
import { ConsentGate } from './consent-gate';
import { ConversationMemoryService } from './conversation-memory.service';
import type { MemoryFactStore } from './memory-fact-store';
import type { Schedule } from './memory-job-queue';
import type { MemoryGeneration, MemoryModels } from './memory-models';
import { memoryConfigSchema, type MemoryConfig } from './memory.config';

export class FakeThreads implements ThreadStorePort {
  readonly threads = new Map<string, Thread>();
  readonly messageLists = new Map<string, ThreadMessage[]>();
  private clock = 1_000;

  addThread(ownerId: string, id: string, title = `thread ${id}`): Thread {
    const thread = create(ThreadSchema, { id, ownerId, title, createdAt: timestampFromMs(this.clock), updatedAt: timestampFromMs(this.clock++) });
    this.threads.set(id, thread);
    this.messageLists.set(id, []);
    return thread;
  }

  /** A user message and a completed reply. */
  addExchange(threadId: string, userText: string, replyText: string): void {
    const list = this.messageLists.get(threadId)!;
    const thread = this.threads.get(threadId)!;
    for (const [role, text] of [
      [MessageRole.USER, userText],
      [MessageRole.ASSISTANT, replyText],
    ] as const) {
      list.push(
        create(ThreadMessageSchema, {
          id: `m${String(this.clock++).padStart(6, '0')}`,
          threadId,
          ownerId: thread.ownerId,
          role,
          text,
          status: MessageStatus.COMPLETE,
        }),
      );
    }
    thread.updatedAt = timestampFromMs(this.clock++);
  }

  getThread(userId: string, threadId: string): Promise<Thread> {
    const thread = this.threads.get(threadId);
    if (!thread || thread.ownerId !== userId) return Promise.reject(new ConversationError(ConversationErrorCode.ThreadNotFound, 'no such thread'));
    return Promise.resolve(create(ThreadSchema, thread));
  }

  async updateThread(userId: string, threadId: string, change: (thread: Thread) => void): Promise<Thread> {
    await this.getThread(userId, threadId);
    change(this.threads.get(threadId)!);
    return create(ThreadSchema, this.threads.get(threadId));
  }

  allThreads(userId: string): Promise<Thread[]> {
    return Promise.resolve([...this.threads.values()].filter((thread) => thread.ownerId === userId).map((thread) => create(ThreadSchema, thread)));
  }

  messages(threadId: string, afterId?: string): Promise<ThreadMessage[]> {
    return Promise.resolve((this.messageLists.get(threadId) ?? []).filter((message) => afterId === undefined || message.id > afterId));
  }
}

export class FakeFacts implements MemoryFactStore {
  readonly facts = new Map<string, MemoryFact>();

  list(userId: string): Promise<MemoryFact[]> {
    return Promise.resolve(
      [...this.facts.values()]
        .filter((fact) => fact.ownerId === userId)
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .map((fact) => create(MemoryFactSchema, fact)),
    );
  }

  get(factId: string): Promise<MemoryFact | undefined> {
    const fact = this.facts.get(factId);
    return Promise.resolve(fact ? create(MemoryFactSchema, fact) : undefined);
  }

  put(fact: MemoryFact): Promise<void> {
    this.facts.set(fact.id, create(MemoryFactSchema, fact));
    return Promise.resolve();
  }

  delete(factId: string): Promise<void> {
    this.facts.delete(factId);
    return Promise.resolve();
  }

  deleteAll(userId: string): Promise<number> {
    const mine = [...this.facts.values()].filter((fact) => fact.ownerId === userId);
    for (const fact of mine) this.facts.delete(fact.id);
    return Promise.resolve(mine.length);
  }

  texts(userId: string): string[] {
    return [...this.facts.values()].filter((fact) => fact.ownerId === userId).map((fact) => fact.text);
  }
}

export class FakeModels implements MemoryModels {
  readonly generations: MemoryGeneration[] = [];
  readonly embedded: string[][] = [];
  /** What the next generations answer (the last one repeats). */
  answers: string[] = [JSON.stringify({ summary: 'They talked.', facts: [] })];
  /** Vectors by text; a text without one fails the embedding (no embedding model). */
  vectors = new Map<string, number[]>();
  private gate: { readonly started: () => void; readonly ignoreAbort: boolean; release?: () => void } | undefined;

  async generate(request: MemoryGeneration): Promise<string> {
    this.generations.push(request);
    const answer = this.answers.length > 1 ? this.answers.shift()! : this.answers[0]!;
    const gate = this.gate;
    this.gate = undefined;
    if (gate) {
      await new Promise<void>((resolve, reject) => {
        gate.release = resolve;
        if (!gate.ignoreAbort) request.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        gate.started();
      });
    }
    return answer;
  }

  /**
   * The next generation waits until `release()` (or its job is cancelled, unless `ignoreAbort`: a models service that
   * answers anyway); `started` resolves once it waits.
   */
  holdNext(ignoreAbort = false): { readonly started: Promise<void>; readonly release: () => void } {
    let started!: () => void;
    const begun = new Promise<void>((resolve) => (started = resolve));
    const gate: { started: () => void; ignoreAbort: boolean; release?: () => void } = { started, ignoreAbort };
    this.gate = gate;
    return { started: begun, release: () => gate.release?.() };
  }

  embed(texts: readonly string[]): Promise<number[][]> {
    this.embedded.push([...texts]);
    const vectors = texts.map((text) => this.vectors.get(text));
    if (vectors.some((vector) => vector === undefined))
      return Promise.reject(Object.assign(new Error('no embedding model'), { code: ModelsErrorCode.NoModel }));
    return Promise.resolve(vectors as number[][]);
  }
}

/** A schedule fired by the test: `fire()` runs every callback whose time would have come. */
export class ManualSchedule {
  private pending: { run: () => void; cancelled: boolean }[] = [];
  readonly schedule: Schedule = (run) => {
    const entry = { run, cancelled: false };
    this.pending.push(entry);
    return () => (entry.cancelled = true);
  };

  get waiting(): number {
    return this.pending.filter((entry) => !entry.cancelled).length;
  }

  fire(): void {
    const due = this.pending;
    this.pending = [];
    for (const entry of due) if (!entry.cancelled) entry.run();
  }
}

export interface MemoryHarness {
  readonly service: ConversationMemoryService;
  readonly threads: FakeThreads;
  readonly facts: FakeFacts;
  readonly models: FakeModels;
  readonly schedule: ManualSchedule;
  readonly consent: Map<string, boolean>;
  readonly consentChecks: string[];
  readonly published: { userId: string; reason: string; facts?: number; deletedFacts?: number; deletedSummaries?: number }[];
  readonly logs: CapturedLog[];
  readonly config: MemoryConfig;
  /** Fires the quiet time and waits until every job has run. */
  runJobs(): Promise<void>;
}

export function memoryHarness(settings: Partial<MemoryConfig> = {}, options: { readonly failConsent?: boolean } = {}): MemoryHarness {
  const config = { ...memoryConfigSchema.parse({}), ...settings };
  const threads = new FakeThreads();
  const facts = new FakeFacts();
  const models = new FakeModels();
  const schedule = new ManualSchedule();
  const consent = new Map<string, boolean>();
  const consentChecks: string[] = [];
  const published: MemoryHarness['published'] = [];
  const { logger, lines } = captureLogger('conversation');
  const gate = new ConsentGate(
    (userId) => {
      consentChecks.push(userId);
      if (options.failConsent) return Promise.reject(new BusError(BusErrorCode.DeadlineExceeded, 'no answer'));
      return Promise.resolve(consent.get(userId) ?? false);
    },
    { cacheMs: 0 },
  );
  const service = new ConversationMemoryService({
    config,
    consent: gate,
    facts,
    threads,
    models,
    publish: (changed) => {
      published.push(changed as MemoryHarness['published'][number]);
      return Promise.resolve();
    },
    logger,
    schedule: schedule.schedule,
  });
  return {
    service,
    threads,
    facts,
    models,
    schedule,
    consent,
    consentChecks,
    published,
    logs: lines,
    config,
    runJobs: async () => {
      // exchangeCompleted checks consent before it queues: let that settle, then end the quiet time.
      await new Promise((resolve) => setImmediate(resolve));
      schedule.fire();
      await service.jobs.whenIdle();
    },
  };
}
