// The conversation app with everything it needs as real built processes (bus, keys, storage, monitor, the models app
// with a generated chat model, conversation) in a throwaway environment, for the conversation e2e tests. A client
// with the gateway's identity sends what a front end sends and records every `conversation.*` and `ui.avatar.*`
// event, so a test waits for the events of one reply (a signal, never a delay). Reused by the memory/privacy tests:
// keep the exported API stable.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { type BusClient, type IncomingMessage } from '@aico/bus';
import { createTestClient, requestWhenRoutable } from '@aico/bus/testing';
import {
  ConversationTopics,
  GatewayTopics,
  ModelPurpose,
  ModelsTopics,
  type AvatarSpeech,
  type ConversationMessage,
  type ReplyCompleted,
  type ReplyDelta,
  type SendMessageResponse,
  type ThreadChanged,
  type UpdatePersonaRequestSchema,
} from '@aico/contracts';
import { MODELS_TEST_ENV, ModelsStack, NORMAL_MONITOR_ENV, testModels, type TestModel, type TestModelOptions } from '../models/models-stack';
import type { ServiceProcess } from './service-process';
import { SIGNAL_TIMEOUT_MS } from './timing';

/**
 * The chat model's vocabulary: its chain (what greedy decoding writes after a chat template's generation prompt)
 * reads "abcdefghijklmnopqrstuvwxyz. abcdefghijklmnopqrstuvwxyz. …", so replies have sentence ends the avatar speaks.
 */
/** The events a front end follows (requests on the same prefixes are not recorded). */
const EVENT_TOPICS = new Set(
  [...Object.values(ConversationTopics), GatewayTopics.avatarSpeak, GatewayTopics.avatarStop].filter((d) => d.kind === 'event').map((d) => d.topic),
);

export const SENTENCE_VOCABULARY = 'abcdefghijklmnopqrstuvwxyz. ';
/** The catalog name of the stack's chat model. */
export const CHAT_MODEL = 'chat';
/** A trained context no reply here fills before a test acts on it (each token takes a fraction of a millisecond). */
export const CHAT_MODEL_CONTEXT = 65_536;
/** Tokens a reply may write when the persona does not say: long, so a stop or a kill lands mid-reply. */
export const LONG_REPLY_TOKENS = 60_000;
/** The stack's start: seven processes one after another, on a loaded machine. */
export const CONVERSATION_STACK_START_TIMEOUT_MS = 8 * SIGNAL_TIMEOUT_MS;

export interface ChatModelOptions extends TestModelOptions {
  /** The generated model's characters in chain order (default SENTENCE_VOCABULARY). */
  readonly vocabulary?: string;
}

export interface ConversationStackOptions {
  /** The conversation app's environment (on top of the stack's; kept for restarts). */
  readonly conversationEnv?: NodeJS.ProcessEnv;
  readonly modelsEnv?: NodeJS.ProcessEnv;
  /** false: no monitor (every generation then fails admission). */
  readonly monitorEnv?: NodeJS.ProcessEnv | false;
  readonly everyAppEnv?: NodeJS.ProcessEnv;
  /** The chat model put in the catalog (used for chat); false: none (no model installed). */
  readonly chatModel?: ChatModelOptions | false;
}

/** One event the front-end client received. */
export interface RecordedEvent {
  readonly topic: string;
  /** The decoded payload (its type follows the topic). */
  readonly payload: unknown;
  /** Envelope attributes (the conversation service names the user in `user`). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly source: string;
  /** When this process received it (Date.now()), for figures only. */
  readonly receivedAt: number;
}

/** Every `conversation.*` and `ui.avatar.*` event in arrival order, and waits for the next that matches. */
export class ConversationEvents {
  readonly all: RecordedEvent[] = [];
  private waiters: { predicate: (event: RecordedEvent) => boolean; resolve: (event: RecordedEvent) => void }[] = [];

  record(message: IncomingMessage): void {
    if (!EVENT_TOPICS.has(message.topic)) return;
    const event: RecordedEvent = {
      topic: message.topic,
      payload: message.payload,
      attributes: { ...message.envelope.attributes },
      source: message.source,
      receivedAt: Date.now(),
    };
    this.all.push(event);
    this.waiters = this.waiters.filter((waiter) => (waiter.predicate(event) ? (waiter.resolve(event), false) : true));
  }

  /** The first event (from index `since` on, already received or still to come) that matches. */
  waitFor(predicate: (event: RecordedEvent) => boolean, what: string, timeoutMs = SIGNAL_TIMEOUT_MS, since = 0): Promise<RecordedEvent> {
    const seen = this.all.slice(since).find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `no ${what} within ${timeoutMs} ms; last events: ${this.all
                .slice(-5)
                .map((e) => e.topic)
                .join(', ')}`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        predicate,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      });
    });
  }

  /** Payloads of one topic received so far, optionally filtered. */
  of<T>(topic: string, predicate: (payload: T) => boolean = () => true): T[] {
    return this.all
      .filter((event) => event.topic === topic)
      .map((event) => event.payload as T)
      .filter(predicate);
  }

  /** The reply's deltas received so far (arrival order). */
  deltas(replyId: string): ReplyDelta[] {
    return this.of<ReplyDelta>(ConversationTopics.replyDelta.topic, (delta) => delta.replyId === replyId);
  }

  /** The reply's avatar speech received so far (by thread id, since speech names the thread, not the reply). */
  speech(threadId: string): AvatarSpeech[] {
    return this.of<AvatarSpeech>('ui.avatar.speak', (speech) => speech.conversationId === threadId);
  }

  completion(replyId: string, timeoutMs = SIGNAL_TIMEOUT_MS): Promise<ReplyCompleted> {
    return this.waitFor(
      (event) => event.topic === ConversationTopics.replyCompleted.topic && (event.payload as ReplyCompleted).replyId === replyId,
      `completion of reply ${replyId}`,
      timeoutMs,
    ).then((event) => event.payload as ReplyCompleted);
  }

  /** The n-th text delta of a reply (1-based), once it arrived. */
  textDelta(replyId: string, n: number, timeoutMs = SIGNAL_TIMEOUT_MS): Promise<ReplyDelta> {
    return this.waitFor(
      () => this.deltas(replyId).filter((delta) => delta.kind.case === 'text').length >= n,
      `${n} text deltas of reply ${replyId}`,
      timeoutMs,
    ).then(() => this.deltas(replyId).filter((delta) => delta.kind.case === 'text')[n - 1]!);
  }

  messageReceived(messageId: string): Promise<ConversationMessage> {
    return this.waitFor(
      (event) => event.topic === ConversationTopics.messageReceived.topic && (event.payload as ConversationMessage).id === messageId,
      `message ${messageId} received`,
    ).then((event) => event.payload as ConversationMessage);
  }

  threadChanged(threadId: string, since = 0): Promise<ThreadChanged> {
    return this.waitFor(
      (event) => event.topic === ConversationTopics.threadChanged.topic && (event.payload as ThreadChanged).thread?.id === threadId,
      `thread ${threadId} changed`,
      SIGNAL_TIMEOUT_MS,
      since,
    ).then((event) => event.payload as ThreadChanged);
  }
}

export class ConversationStack {
  readonly events = new ConversationEvents();
  private conversationEnv: NodeJS.ProcessEnv;
  private modelsEnv: NodeJS.ProcessEnv = {};

  private constructor(
    /** Bus, storage, monitor and the models app (its `requester`, `catalog`, `addModel`, `process`). */
    readonly models: ModelsStack,
    /** A front end on the bus (the gateway's identity): sends conversation requests, receives the users' events. */
    readonly gateway: BusClient,
    conversationEnv: NodeJS.ProcessEnv,
  ) {
    this.conversationEnv = conversationEnv;
  }

  /** Every process started and ready, the chat model in the catalog, the conversation service answering. */
  static async start(options: ConversationStackOptions = {}): Promise<ConversationStack> {
    const modelsEnv = { AICO_MODELS__MAX_CONTEXT_SIZE: String(CHAT_MODEL_CONTEXT), ...options.modelsEnv };
    const models = await ModelsStack.start({
      modelsEnv,
      monitorEnv: options.monitorEnv ?? NORMAL_MONITOR_ENV,
      ...(options.everyAppEnv ? { everyAppEnv: options.everyAppEnv } : {}),
    });
    const gateway = createTestClient('gateway', models.environment.keys, models.environment.endpoints, { requestTimeoutMs: SIGNAL_TIMEOUT_MS });
    const stack = new ConversationStack(models, gateway, { AICO_CONVERSATION__DEFAULT_MAX_TOKENS: String(LONG_REPLY_TOKENS), ...options.conversationEnv });
    stack.modelsEnv = modelsEnv;
    try {
      gateway.subscribePrefix('conversation.', (message) => stack.events.record(message));
      gateway.subscribePrefix('ui.avatar.', (message) => stack.events.record(message));
      await gateway.connect();
      await models.startApp('keys');
      if (options.chatModel !== false) await stack.addChatModel(CHAT_MODEL, options.chatModel ?? {});
      await stack.startConversation();
      return stack;
    } catch (error) {
      await stack.stop();
      throw error;
    }
  }

  /** A generated chat model (SENTENCE_VOCABULARY unless said) in the catalog, in use for chat. */
  addChatModel(name: string, options: ChatModelOptions = {}): Promise<TestModel> {
    const generator: ChatModelOptions = { context: CHAT_MODEL_CONTEXT, vocabulary: SENTENCE_VOCABULARY, ...options };
    return this.models.addModel(name, generator, [ModelPurpose.CHAT]);
  }

  /** Starts (or starts again) the conversation app and waits until it answers on the bus. */
  async startConversation(env: NodeJS.ProcessEnv = {}): Promise<ServiceProcess> {
    this.conversationEnv = { ...this.conversationEnv, ...env };
    const child = await this.models.startApp('conversation', this.conversationEnv);
    await requestWhenRoutable((timeoutMs) => this.gateway.request(ConversationTopics.personaGet, {}, { timeoutMs }), SIGNAL_TIMEOUT_MS);
    return child;
  }

  /** Starts the models app again (after a kill) with the stack's settings, and waits until it answers. */
  async restartModels(): Promise<ServiceProcess> {
    const child = await this.models.startApp('models', { ...MODELS_TEST_ENV, ...this.modelsEnv });
    await requestWhenRoutable((timeoutMs) => this.gateway.request(ModelsTopics.status, {}, { timeoutMs }), SIGNAL_TIMEOUT_MS);
    return child;
  }

  process(name: string): ServiceProcess {
    return this.models.process(name);
  }

  /** kill -9 of one app; resolves once it has exited. */
  async kill(name: string): Promise<void> {
    const child = this.process(name);
    child.signal('SIGKILL');
    await child.exited;
  }

  /** A message from `userId` (a new thread unless `threadId`). */
  send(userId: string, text: string, threadId = ''): Promise<SendMessageResponse> {
    return this.gateway.request(ConversationTopics.messageSend, { userId, text, threadId, client: 'test' }, { attributes: { user: userId } });
  }

  /** Sends and waits for the reply's completion. */
  async exchange(userId: string, text: string, threadId = ''): Promise<{ sent: SendMessageResponse; completed: ReplyCompleted }> {
    const sent = await this.send(userId, text, threadId);
    return { sent, completed: await this.events.completion(sent.replyId) };
  }

  /** Saves the persona (as an admin through the gateway would). */
  setPersona(persona: NonNullable<MessageInitShape<typeof UpdatePersonaRequestSchema>['persona']>) {
    return this.gateway.request(ConversationTopics.personaUpdate, { persona, updatedBy: 'test' });
  }

  async stop(): Promise<void> {
    await this.gateway.close({ drainTimeoutMs: 0 }).catch(() => undefined);
    await this.models.stop();
  }
}

/** What greedy decoding of the chat model writes as a reply of `tokens` tokens. */
export const predictedReply = (tokens: number, vocabulary = SENTENCE_VOCABULARY): Promise<string> =>
  testModels<string>('predictContinuation', '\n', tokens, { vocabulary });
