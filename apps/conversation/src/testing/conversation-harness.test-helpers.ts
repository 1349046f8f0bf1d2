// The conversation app in this process behind a real CURVE proxy (TestBus), with storage and the models service
// stood in for at the edge, a front end (the gateway's identity) that records every conversation and avatar event,
// and a restart of the app on the same bus and storage.
import { type IncomingMessage } from '@aico/bus';
import { requestWhenRoutable, TestBus, type TestClient } from '@aico/bus/testing';
import { ConversationTopics, GatewayTopics, type ReplyCompleted, type ReplyDelta } from '@aico/contracts';

/** The events a front end follows (requests on the same prefixes are not recorded). */
const EVENT_TOPICS = new Set(
  [...Object.values(ConversationTopics), GatewayTopics.avatarSpeak, GatewayTopics.avatarStop].filter((d) => d.kind === 'event').map((d) => d.topic),
);
import { runService, type RunningService } from '@aico/service';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { ConversationAppModule } from '../conversation-app.module';
import { conversationConfigSchema } from '../conversation.config';
import { ModelsStandIn } from './models-stand-in.test-helpers';
import { StorageStandIn } from './storage-stand-in.test-helpers';

/** A deadline for one signal (an event, an answer): generous, the machine is shared. */
export const SIGNAL_TIMEOUT_MS = 60_000;

export interface Seen {
  readonly topic: string;
  readonly payload: unknown;
  readonly user: string;
  readonly correlationId: string;
}

export class ConversationHarness {
  readonly seen: Seen[] = [];
  private waiters: { predicate: (event: Seen) => boolean; resolve: (event: Seen) => void }[] = [];
  running!: RunningService;

  private constructor(
    readonly environment: ServiceTestEnvironment,
    readonly bus: TestBus,
    readonly gateway: TestClient,
    readonly storage: StorageStandIn,
    readonly models: ModelsStandIn,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async start(extraEnv: NodeJS.ProcessEnv = {}): Promise<ConversationHarness> {
    const environment = await createServiceTestEnvironment('ipc', { AICO_LOG__LEVEL: 'warn', AICO_LOG__FILE: 'false', ...extraEnv });
    const bus = await new TestBus({ transport: 'ipc', keys: environment.keys }).start();
    const storage = new StorageStandIn(await bus.connected('storage'));
    const models = new ModelsStandIn(await bus.connected('models'));
    const gateway = await bus.connected('gateway');
    const env = { ...environment.env, AICO_BUS__PUBLISH_ENDPOINT: bus.publishEndpoint, AICO_BUS__SUBSCRIBE_ENDPOINT: bus.subscribeEndpoint };
    const harness = new ConversationHarness(environment, bus, gateway, storage, models, env);
    gateway.subscribePrefix('conversation.', (message) => harness.record(message));
    gateway.subscribePrefix('ui.avatar.', (message) => harness.record(message));
    await harness.startApp();
    return harness;
  }

  async startApp(): Promise<void> {
    this.running = await runService({
      identity: 'conversation',
      module: ConversationAppModule,
      configSchema: conversationConfigSchema,
      env: this.env,
      exitOnStop: false,
    });
    await requestWhenRoutable((timeoutMs) => this.gateway.request(ConversationTopics.personaGet, {}, { timeoutMs }));
  }

  async stop(): Promise<void> {
    await this.running.stop('test finished');
    await this.bus.stop();
    await this.environment.cleanup();
  }

  private record(message: IncomingMessage): void {
    if (!EVENT_TOPICS.has(message.topic)) return;
    const event = { topic: message.topic, payload: message.payload, user: message.envelope.attributes['user'] ?? '', correlationId: message.correlationId };
    this.seen.push(event);
    this.waiters = this.waiters.filter((waiter) => (waiter.predicate(event) ? (waiter.resolve(event), false) : true));
  }

  waitFor(predicate: (event: Seen) => boolean, what: string): Promise<Seen> {
    const seen = this.seen.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${SIGNAL_TIMEOUT_MS} ms`)), SIGNAL_TIMEOUT_MS);
      this.waiters.push({ predicate, resolve: (event) => (clearTimeout(timer), resolve(event)) });
    });
  }

  completion(replyId: string): Promise<ReplyCompleted> {
    return this.waitFor(
      (e) => e.topic === 'conversation.reply.completed' && (e.payload as ReplyCompleted).replyId === replyId,
      `completion of ${replyId}`,
    ).then((e) => e.payload as ReplyCompleted);
  }

  deltas(replyId: string): ReplyDelta[] {
    return this.of<ReplyDelta>('conversation.reply.delta').filter((delta) => delta.replyId === replyId);
  }

  of<T>(topic: string): T[] {
    return this.seen.filter((event) => event.topic === topic).map((event) => event.payload as T);
  }
}
