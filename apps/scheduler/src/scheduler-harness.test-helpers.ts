// The scheduler app for contract tests: the real app in this process (runService) behind a real CURVE proxy, on a
// ManualClock and a fixed jitter source, with a storage stand-in and a registry that adds the topics test tasks
// send. Also an Inbox, which collects what arrives (events, requests) so a test waits for it instead of sleeping.
import { type IncomingMessage, type IncomingOf } from '@aico/bus';
import { nextValue, TestBus, type TestClient } from '@aico/bus/testing';
import {
  defaultTopicRegistry,
  defineEvent,
  defineRequest,
  PingRequestSchema,
  PingResponseSchema,
  PublicError,
  type EventDefinition,
  type TopicRegistry,
} from '@aico/contracts';
import { runService, type RunningService } from '@aico/service';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { ManualClock } from './manual-clock.test-helpers';
import { SchedulerAppModule } from './scheduler-app.module';
import { schedulerConfigSchema } from './scheduler.config';
import { SIGNAL_TIMEOUT_MS } from './signal-timeout.test-helpers';
import { StorageStandIn } from './storage-stand-in.test-helpers';

export const TestTopics = {
  /** What test tasks request: a worker answers, fails or keeps the request waiting, as the test says. */
  work: defineRequest({
    topic: 'test.work.run',
    payload: PingRequestSchema,
    response: PingResponseSchema,
    publishers: ['scheduler'],
    responders: 'any',
    contractVersion: 1,
    description: 'test work',
  }),
  /** What test tasks publish. */
  announced: defineEvent({
    topic: 'test.work.announced',
    payload: PingRequestSchema,
    publishers: ['scheduler'],
    contractVersion: 1,
    description: 'test event',
  }),
  /** A topic the scheduler may not send. */
  forbidden: defineRequest({
    topic: 'test.work.forbidden',
    payload: PingRequestSchema,
    response: PingResponseSchema,
    publishers: ['cli'],
    responders: 'any',
    contractVersion: 1,
    description: 'not for the scheduler',
  }),
} as const;

export const testRegistry: TopicRegistry = defaultTopicRegistry.with(Object.values(TestTopics));

/** 2026-03-01 12:00:00 UTC, a Sunday: far from DST changes, so schedules in tests are plain. */
export const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);
/** Every jitter draw is 0.5: a wait shortened by jitter is exactly (1 - jitter / 2) of its base. */
export const RANDOM = 0.5;

/** Collects values as they arrive; `next` hands out the first unconsumed one that matches (arrived or future). */
export class Inbox<T> {
  private readonly items: T[] = [];
  private waiters: { predicate: (item: T) => boolean; resolve: (item: T) => void }[] = [];

  readonly push = (item: T): void => {
    const waiter = this.waiters.find((w) => w.predicate(item));
    if (waiter) {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.resolve(item);
      return;
    }
    this.items.push(item);
  };

  next(predicate: (item: T) => boolean = () => true, timeoutMs = SIGNAL_TIMEOUT_MS, what = 'message'): Promise<T> {
    const index = this.items.findIndex(predicate);
    if (index >= 0) return Promise.resolve(this.items.splice(index, 1)[0]!);
    return nextValue<T>((deliver) => this.waiters.push({ predicate, resolve: deliver }), timeoutMs, what);
  }

  /** What arrived and was not consumed. */
  get pending(): readonly T[] {
    return this.items;
  }
}

export interface SchedulerHarness {
  readonly environment: ServiceTestEnvironment;
  readonly bus: TestBus;
  readonly clock: ManualClock;
  readonly storage: StorageStandIn;
  readonly env: NodeJS.ProcessEnv;
  scheduler: RunningService;
  /** Starts the scheduler app again (after `scheduler.stop`) on the same clock, storage and data directory. */
  restart(): Promise<RunningService>;
  stop(): Promise<void>;
}

export async function startSchedulerHarness(extraEnv: NodeJS.ProcessEnv = {}): Promise<SchedulerHarness> {
  // The app's own wait for its bus client to be ready is a deadline a loaded machine could exhaust: the signal's.
  const environment = await createServiceTestEnvironment('ipc', {
    AICO_LOG__LEVEL: 'warn',
    AICO_LOG__FILE: 'false',
    AICO_BUS__READY_TIMEOUT_MS: String(SIGNAL_TIMEOUT_MS),
    ...extraEnv,
  });
  const bus = await new TestBus({ transport: 'ipc', keys: environment.keys, registry: testRegistry }).start();
  const storage = await StorageStandIn.start(bus);
  const clock = new ManualClock(T0);
  const env = { ...environment.env, AICO_BUS__PUBLISH_ENDPOINT: bus.publishEndpoint, AICO_BUS__SUBSCRIBE_ENDPOINT: bus.subscribeEndpoint };
  const run = () =>
    runService({
      identity: 'scheduler',
      module: SchedulerAppModule.forRoot({ clock, random: () => RANDOM }),
      configSchema: schedulerConfigSchema,
      registry: testRegistry,
      env,
      exitOnStop: false,
    });
  const harness: SchedulerHarness = {
    environment,
    bus,
    clock,
    storage,
    env,
    scheduler: await run(),
    restart: async () => (harness.scheduler = await run()),
    stop: async () => {
      await harness.scheduler.stop('test finished');
      await bus.stop();
      await environment.cleanup();
    },
  };
  return harness;
}

/**
 * Every event of `definition` that `client` receives. Subscribe before the client connects: its connect handshake
 * then proves the subscription reached the bus.
 */
export function collect<T>(client: TestClient, definition: EventDefinition): Inbox<T> {
  const inbox = new Inbox<T>();
  client.subscribe(definition, (event: IncomingMessage) => inbox.push(event.payload as T));
  return inbox;
}

export type WorkBehaviour = 'succeed' | 'fail' | 'crash' | 'hang';

/**
 * Answers `test.work.run` as the test says, by the request's `target` (from the task's payload): succeed, fail with a
 * coded error, fail with an uncoded one, or hang until released. Every request is kept in `requests`.
 */
export class Worker {
  readonly requests = new Inbox<IncomingOf<typeof PingRequestSchema>>();
  readonly behaviour = new Map<string, WorkBehaviour>();
  private readonly hanging: (() => void)[] = [];

  private constructor(readonly client: TestClient) {}

  static async start(bus: TestBus, identity = 'monitor'): Promise<Worker> {
    const worker = new Worker(bus.client(identity, { answerPings: false }));
    worker.client.handle(TestTopics.work, async (request) => {
      worker.requests.push(request);
      switch (worker.behaviour.get(request.payload.target) ?? 'succeed') {
        case 'succeed':
          return { data: request.payload.data, service: identity };
        case 'fail':
          throw new WorkError('WORK_BROKEN', `The work "${request.payload.target}" is broken.`);
        case 'crash':
          throw new Error('an uncoded failure with internals');
        case 'hang':
          await new Promise<void>((resolve) => worker.hanging.push(resolve));
          return { data: request.payload.data, service: identity };
      }
    });
    return worker;
  }

  /** Lets every hanging request answer. */
  release(): void {
    for (const resolve of this.hanging.splice(0)) resolve();
  }
}

class WorkError extends PublicError {}
