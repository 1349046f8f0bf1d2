// BusClient: one process's connection to the aico bus. Publishes typed envelopes through the proxy's XSUB socket,
// receives through its XPUB socket, correlates request/reply over pub/sub, and never trusts what it receives.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { create, type DescMessage, type Message, type MessageInitShape, type MessageShape } from '@bufbuild/protobuf';
import { Publisher, Subscriber } from 'zeromq';
import {
  isReplyTopic,
  isStreamRequest,
  mayPublish,
  PingRequestSchema,
  PublicError,
  REPLY_TOPIC_PREFIX,
  SupervisedAppState,
  SupervisorTopics,
  SystemTopics,
  type Envelope,
  type EventDefinition,
  type RequestDefinition,
  type StreamRequestDefinition,
  type TopicDefinition,
} from '@aico/contracts';
import { currentCorrelationId, runWithCorrelation, type Logger } from '@aico/logging';
import { AccessPolicy } from '@aico/policy';
import { BusError, BusErrorCode, toErrorInfo } from '../bus.error';
import { DropCounter } from './drop-counter';
import { EnvelopeCodec, type IncomingMessage, type IncomingOf, type OutgoingEnvelope } from './envelope-codec';
import { judgeInbound } from './inbound-gate';
import { PendingRequests } from './pending-requests';
import { PendingStreams } from './pending-streams';
import { IdempotencyCache } from './idempotency-cache';
import { ResponseStreams, type ActiveResponseStream } from './response-streams';
import { SendQueue, type Frames } from './send-queue';
import { watchSocketEvents } from './socket-events';
import { DEFAULT_STREAM_IDLE_TIMEOUT_MS, isStreamControl, MAX_TIMER_MS, MIN_STREAM_IDLE_TIMEOUT_MS, StreamAttribute, type StreamControl } from './stream-protocol';
import { uuidv7 } from './uuid-v7';
import type {
  BusClientOptions,
  BusClientState,
  BusClientStats,
  HandleOptions,
  HandleStreamOptions,
  PublishOptions,
  RequestOptions,
  ResponseStream,
  StreamRequestOptions,
} from './bus-client.types';

export type * from './bus-client.types';

type Handler = (message: IncomingMessage) => unknown;

interface Subscription {
  readonly prefix: string;
  readonly exact: boolean;
  readonly handler: Handler;
}

type RequestHandler = (message: IncomingMessage, stream: ResponseStream | undefined) => Promise<Message | MessageInitShape<DescMessage>>;

interface Responder {
  readonly definition: RequestDefinition;
  readonly handler: RequestHandler;
  readonly accept: ((message: IncomingMessage) => boolean) | undefined;
  /** Set for a streamed topic: the handler gets a ResponseStream (and the keep-alive pace it asked for). */
  readonly stream: { readonly keepAliveIntervalMs: number | undefined } | undefined;
}

const DEFAULT_MAX_ENVELOPE_BYTES = 4 * 1024 * 1024;
/** setTimeout's limit (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMEOUT_MS = MAX_TIMER_MS;

export class BusClient extends EventEmitter<{ ready: []; disconnected: []; reconnected: [] }> {
  readonly identity: string;
  readonly instanceId: string;
  /** Replies to this client's requests, and its readiness probes, arrive here. */
  readonly replyTopic: string;

  private readonly logger: Logger;
  private readonly codec: EnvelopeCodec;
  private readonly drops: DropCounter;
  private readonly pub: Publisher;
  private readonly sub: Subscriber;
  private readonly queue: SendQueue;
  private readonly subscriptions: Subscription[] = [];
  private readonly zmqSubscriptions = new Map<string, number>();
  private readonly responders = new Map<string, Responder>();
  private readonly pending = new PendingRequests();
  private readonly streams: PendingStreams;
  private readonly responseStreams: ResponseStreams;
  private readonly probes = new Map<string, { resolve: () => void; reject: (error: unknown) => void }>();
  private readonly idempotency = new IdempotencyCache<Message | MessageInitShape<DescMessage>>();
  private readonly policy: AccessPolicy;
  private readonly maxEnvelopeBytes: number;
  private readonly requestTimeoutMs: number;
  private readonly streamIdleTimeoutMs: number;
  private readonly readyTimeoutMs: number;
  private stateValue: BusClientState = 'idle';
  private intakeOpen = true;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private authFailure: ((error: BusError) => void) | undefined;
  private published = 0;
  private received = 0;
  private receiveLoop: Promise<void> | undefined;
  private connecting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: BusClientOptions) {
    super();
    this.identity = options.identity;
    this.instanceId = options.instanceId ?? randomUUID();
    this.replyTopic = `${REPLY_TOPIC_PREFIX}${this.instanceId}`;
    this.logger = options.logger.child({ context: 'BusClient' });
    this.policy = new AccessPolicy(options.registry);
    this.codec = new EnvelopeCodec(this.identity, this.instanceId);
    this.drops = new DropCounter(this.logger, options.dropLogIntervalMs);
    this.maxEnvelopeBytes = options.maxEnvelopeBytes ?? DEFAULT_MAX_ENVELOPE_BYTES;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 5_000;
    this.streamIdleTimeoutMs = options.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS;
    const drop = this.drops.drop.bind(this.drops);
    this.streams = new PendingStreams(drop);
    this.responseStreams = new ResponseStreams({
      send: (out) => this.send(out),
      toDelta: (definition, delta) => this.toMessage({ ...definition, payload: definition.stream }, delta),
      drop,
    });
    this.readyTimeoutMs = options.readyTimeoutMs ?? 15_000;

    const common = {
      curveServerKey: options.curve.serverPublicKey,
      curvePublicKey: options.curve.publicKey,
      curveSecretKey: options.curve.secretKey,
      reconnectInterval: 100,
      reconnectMaxInterval: 1_000,
      // ZMTP heartbeats notice a proxy that vanished without closing the connection (a suspended laptop).
      heartbeatInterval: 2_000,
      heartbeatTimeout: 6_000,
      ...(options.context ? { context: options.context } : {}),
    };
    this.pub = new Publisher({ ...common, sendHighWaterMark: options.sendHighWaterMark ?? 10_000, linger: 2_000 });
    this.sub = new Subscriber({ ...common, receiveHighWaterMark: options.receiveHighWaterMark ?? 10_000, linger: 0 });
    this.queue = new SendQueue((frames) => this.pub.send(frames as (Buffer | Uint8Array)[]), options.maxSendQueue ?? 100_000);
    // Until the first probe returns, the publisher has no subscriptions and libzmq would drop what it sends: hold.
    this.queue.hold();
    this.watchSocket(this.pub, 'publish');
    this.watchSocket(this.sub, 'subscribe');
    if (options.followSupervisor) {
      // Only the supervisor may publish this topic (the proxy's policy): a crashed app's streams are lost for certain.
      this.subscribe(SupervisorTopics.appChanged, ({ payload: { app } }) => {
        if (app && (app.state === SupervisedAppState.BACKOFF || app.state === SupervisedAppState.FAILED)) this.abandonStreamsFrom(app.name, app.lastExit ? `it ended: ${app.lastExit}` : 'it ended');
      });
    }
    if (options.answerPings ?? true) {
      this.handle(
        SystemTopics.ping,
        (request) => ({ data: request.payload.data, sequence: request.payload.sequence, service: this.identity }),
        { accept: (request) => request.payload.target === '' || request.payload.target === this.identity },
      );
    }
  }

  get state(): BusClientState {
    return this.stateValue;
  }

  /** What a log line shows of a client: never its options, which hold the CURVE secret key. */
  toJSON(): { identity: string; instanceId: string; state: BusClientState } {
    return { identity: this.identity, instanceId: this.instanceId, state: this.stateValue };
  }

  [inspect.custom](): string {
    return `BusClient(${this.identity}, ${this.stateValue})`;
  }

  get stats(): BusClientStats {
    return {
      published: this.published,
      received: this.received,
      dropped: this.drops.total,
      droppedByReason: this.drops.byReason(),
      sendQueueLength: this.queue.length,
      pendingRequests: this.pending.size + this.streams.size,
      inFlightHandlers: this.inFlight,
    };
  }

  /**
   * Connects and resolves once this client's own probe has travelled through the proxy and back. Calling it again
   * while connecting or connected returns the same promise.
   */
  connect(): Promise<void> {
    if (this.stateValue === 'closing' || this.stateValue === 'closed') {
      return Promise.reject(new BusError(BusErrorCode.Closed, 'The bus client was closed; create a new one to connect again.'));
    }
    this.connecting ??= this.establish();
    return this.connecting;
  }

  private async establish(): Promise<void> {
    this.stateValue = 'connecting';
    // Subscribed last, so the probe that comes back on it proves every earlier subscription reached the proxy.
    this.zmqSubscribe(this.replyTopic);
    this.pub.connect(this.options.publishEndpoint);
    this.sub.connect(this.options.subscribeEndpoint);
    this.receiveLoop = this.receive();
    const rejected = new Promise<never>((_, reject) => {
      this.authFailure = reject;
    });
    try {
      await Promise.race([this.probe(this.readyTimeoutMs), rejected]);
    } catch (error) {
      await this.close({ drainTimeoutMs: 0 });
      throw error;
    } finally {
      this.authFailure = undefined;
    }
    if (this.stateValue !== 'connecting') throw new BusError(BusErrorCode.Closed, 'The bus client was closed while it connected.');
    this.stateValue = 'ready';
    this.queue.release();
    this.logger.info({ identity: this.identity, publishEndpoint: this.options.publishEndpoint, subscribeEndpoint: this.options.subscribeEndpoint }, 'Connected to the bus');
    this.emit('ready');
  }

  /** Publishes an event. Throws at once for an unregistered topic, a payload of the wrong type or a topic this identity may not publish. */
  publish<S extends DescMessage>(definition: EventDefinition<S>, payload: MessageInitShape<S>, options?: PublishOptions): Promise<void>;
  publish(topic: string, payload: Message, options?: PublishOptions): Promise<void>;
  publish(target: string | TopicDefinition, payload: Message | MessageInitShape<DescMessage>, options: PublishOptions = {}): Promise<void> {
    const definition = this.resolveDefinition(target);
    if (definition.kind !== 'event') {
      throw new BusError(BusErrorCode.NotARequestTopic, `${definition.topic} is a request topic: use request() so a reply can find its way back.`);
    }
    this.assertMayPublish(definition.publishers, definition.topic);
    return this.send({
      topic: definition.topic,
      schema: definition.payload,
      payload: this.toMessage(definition, payload),
      contractVersion: definition.contractVersion,
      correlationId: options.correlationId ?? currentCorrelationId(),
      attributes: options.attributes,
      idempotencyKey: options.idempotencyKey,
    });
  }

  /**
   * Sends a request and resolves with the typed reply, or rejects with RemoteError (typed error reply) or
   * DEADLINE_EXCEEDED. On a streamed topic it waits for the final reply and ignores the deltas (as requestStream
   * without onDelta; streams are not idempotent, so an idempotency key is not sent).
   */
  request<P extends DescMessage, R extends DescMessage>(
    definition: RequestDefinition<P, R>,
    payload: MessageInitShape<P>,
    options: RequestOptions = {},
  ): Promise<MessageShape<R>> {
    const registered = this.resolveDefinition(definition);
    if (isStreamRequest(registered)) {
      const { correlationId, attributes, timeoutMs, signal } = options;
      return this.requestStream(registered as StreamRequestDefinition<P, R>, payload, { correlationId, attributes, timeoutMs, signal });
    }
    this.assertMayPublish(definition.publishers, definition.topic);
    const message = this.toMessage(definition, payload);
    const timeoutMs = checkedTimeout('A request timeout', options.timeoutMs ?? this.requestTimeoutMs, 1);
    const correlationId = this.newCorrelationId(options.correlationId);
    const reply = this.pending.track(correlationId, definition, timeoutMs, options.signal);
    this.sendSafely(correlationId, {
      topic: definition.topic,
      schema: definition.payload,
      payload: message,
      contractVersion: definition.contractVersion,
      correlationId,
      replyTo: this.replyTopic,
      deadlineMs: Date.now() + timeoutMs,
      attributes: { ...options.attributes, ...(currentCorrelationId() ? { caused_by: currentCorrelationId()! } : {}) },
      idempotencyKey: options.idempotencyKey,
    });
    return reply as Promise<MessageShape<R>>;
  }

  /**
   * Answers requests on a topic. A thrown error becomes a typed error reply. Returns an unsubscribe function. On a
   * streamed topic the handler's return value is the final reply, with keep-alives sent while it works.
   */
  handle<P extends DescMessage, R extends DescMessage>(
    definition: RequestDefinition<P, R>,
    handler: (request: IncomingOf<P>) => MessageInitShape<R> | MessageShape<R> | Promise<MessageInitShape<R> | MessageShape<R>>,
    options: HandleOptions<P> = {},
  ): () => void {
    const registered = this.resolveDefinition(definition);
    return this.addResponder(definition, async (message) => handler(message as IncomingOf<P>), options.accept, isStreamRequest(registered) ? { keepAliveIntervalMs: undefined } : undefined);
  }

  /**
   * Answers a streamed request: `stream.send(delta)` sends deltas to the requester only, numbered in order; the
   * handler's return value is the final reply (a thrown error, the typed error reply). Keep-alives go out while
   * nothing else does, and `stream.signal` aborts when the requester cancels or goes away, at the deadline, or when
   * this client stops. Streams are not answered from the idempotency cache: a retry is a new request.
   */
  handleStream<P extends DescMessage, R extends DescMessage, D extends DescMessage>(
    definition: StreamRequestDefinition<P, R, D>,
    handler: (request: IncomingOf<P>, stream: ResponseStream<D>) => MessageInitShape<R> | MessageShape<R> | Promise<MessageInitShape<R> | MessageShape<R>>,
    options: HandleStreamOptions<P> = {},
  ): () => void {
    const registered = this.resolveDefinition(definition);
    if (!isStreamRequest(registered)) throw notAStreamTopic(definition.topic);
    return this.addResponder(definition, async (message, stream) => handler(message as IncomingOf<P>, stream as ResponseStream<D>), options.accept, {
      keepAliveIntervalMs: options.keepAliveIntervalMs,
    });
  }

  /**
   * Sends a streamed request: `onDelta` gets each delta in sequence order, and the promise resolves with the final
   * reply. It rejects with RemoteError (the responder's typed error, after the deltas it sent), DEADLINE_EXCEEDED,
   * STREAM_STALLED (no message for `idleTimeoutMs`: the responder died or none runs — long before the deadline),
   * STREAM_GAP (deltas lost on the way), CANCELLED (`signal`), or what onDelta threw; each tells the responder to
   * stop. `stopSignal` asks the responder to stop and still resolves with its final reply.
   */
  requestStream<P extends DescMessage, R extends DescMessage, D extends DescMessage>(
    definition: StreamRequestDefinition<P, R, D>,
    payload: MessageInitShape<P>,
    options: StreamRequestOptions<D> = {},
  ): Promise<MessageShape<R>> {
    const registered = this.resolveDefinition(definition);
    if (!isStreamRequest(registered)) throw notAStreamTopic(definition.topic);
    this.assertMayPublish(registered.publishers, registered.topic);
    const message = this.toMessage(registered, payload);
    const timeoutMs = checkedTimeout('A request timeout', options.timeoutMs ?? this.requestTimeoutMs, 1);
    const idleTimeoutMs = checkedTimeout('A stream idle timeout', options.idleTimeoutMs ?? this.streamIdleTimeoutMs, MIN_STREAM_IDLE_TIMEOUT_MS);
    const correlationId = this.newCorrelationId(options.correlationId);
    if (options.signal?.aborted) {
      return Promise.reject(new BusError(BusErrorCode.Cancelled, `The request on ${registered.topic} was cancelled before it was sent.`, { topic: registered.topic, correlationId }));
    }
    const reply = this.streams.track({
      correlationId,
      definition: registered,
      timeoutMs,
      idleTimeoutMs,
      signal: options.signal,
      stopSignal: options.stopSignal,
      onDelta: options.onDelta as ((delta: Message, sequence: number) => unknown) | undefined,
      control: (kind) => this.sendStreamControl(registered, correlationId, kind),
    });
    const out: OutgoingEnvelope = {
      topic: registered.topic,
      schema: registered.payload,
      payload: message,
      contractVersion: registered.contractVersion,
      correlationId,
      replyTo: this.replyTopic,
      deadlineMs: Date.now() + timeoutMs,
      attributes: { ...options.attributes, ...(currentCorrelationId() ? { caused_by: currentCorrelationId()! } : {}), [StreamAttribute.idleTimeoutMs]: String(idleTimeoutMs) },
    };
    try {
      this.send(out).catch((error: unknown) => this.streams.fail(correlationId, error));
      this.streams.requestSent(correlationId);
    } catch (error) {
      this.streams.fail(correlationId, error);
    }
    return reply as Promise<MessageShape<R>>;
  }

  /**
   * Fails with RESPONDER_GONE every stream this client waits on that depended on the process of identity `source`,
   * which has ended (`why` says how): the one answering it, or, unanswered yet, the only identity that answers its
   * topic. Returns how many. `followSupervisor` calls it when the supervisor reports a crash.
   */
  abandonStreamsFrom(source: string, why: string): number {
    return this.streams.responderGone(source, why);
  }

  /** Receives the events of one topic, typed by its definition. */
  subscribe<S extends DescMessage>(definition: EventDefinition<S>, handler: (event: IncomingOf<S>) => unknown): () => void {
    this.resolveDefinition(definition);
    return this.addSubscription({ prefix: definition.topic, exact: true, handler: handler as Handler });
  }

  /** Receives every registered topic that starts with `prefix` (e.g. `system.`); payloads are typed by the registry. */
  subscribePrefix(prefix: string, handler: (message: IncomingMessage) => unknown): () => void {
    return this.addSubscription({ prefix, exact: false, handler });
  }

  /**
   * Stops delivering new events and requests (replies to this client's own requests still arrive). Streams this
   * client answers are asked to wind down (their signal aborts with CLOSED); their final replies still go out.
   */
  stopIntake(): void {
    this.intakeOpen = false;
    this.responseStreams.abortAll(new BusError(BusErrorCode.Closed, `The ${this.identity} service is stopping.`));
    for (const prefix of [...this.zmqSubscriptions.keys()]) {
      if (prefix !== this.replyTopic) this.sub.unsubscribe(prefix);
    }
  }

  /** Resolves when no handler is running, or after `timeoutMs`. Returns whether it was idle. */
  waitForHandlers(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /**
   * Hands queued envelopes to zeromq (up to `drainTimeoutMs`), fails pending requests, closes the sockets. Streams
   * still open end first: with a drain, the ones this client answers get a CLOSED error reply and the ones it waits
   * on tell their responders to stop; with `drainTimeoutMs: 0`, nothing more is sent (as if the process died).
   */
  close(options: { drainTimeoutMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutDown(options.drainTimeoutMs ?? 2_000);
    return this.closing;
  }

  private async shutDown(drainTimeoutMs: number): Promise<void> {
    const wasReady = this.stateValue === 'ready';
    const stopping = new BusError(BusErrorCode.Closed, `The ${this.identity} service is stopping; try again when it is back.`);
    const closed = new BusError(BusErrorCode.Closed, 'The bus client was closed.');
    // Before 'closing', which refuses normal sends: the last words of each stream go out with the drain.
    this.responseStreams.endAll(stopping, drainTimeoutMs > 0 ? { code: stopping.code, message: stopping.message, details: {} } : undefined);
    this.streams.failAll(closed, drainTimeoutMs > 0);
    this.stateValue = 'closing';
    let drained = this.queue.length === 0;
    if (!drained && drainTimeoutMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      drained = await Promise.race([
        this.queue.drain().then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), drainTimeoutMs))),
      ]);
      clearTimeout(timer);
    }
    if (!drained) this.logger.warn({ unsent: this.queue.length }, 'Closing the bus client with envelopes still queued; they are lost');
    else if (wasReady && drainTimeoutMs > 0) {
      // Handed to zeromq is not yet through the proxy: one own probe round trip proves everything sent before it
      // has been forwarded (a publisher's envelopes stay in order through the proxy).
      await this.probe(Math.min(drainTimeoutMs, 1_000)).catch(() => this.logger.warn('The bus did not confirm the last envelopes before closing'));
    }
    this.queue.close(closed);
    this.pending.failAll(closed);
    for (const probe of [...this.probes.values()]) probe.reject(closed);
    this.probes.clear();
    this.pub.linger = drained ? 2_000 : 0;
    this.pub.close();
    this.sub.close();
    await this.receiveLoop;
    this.stateValue = 'closed';
  }

  private resolveDefinition(target: string | TopicDefinition): TopicDefinition {
    const topic = typeof target === 'string' ? target : target.topic;
    const definition = this.options.registry.get(topic);
    if (!definition) {
      throw new BusError(BusErrorCode.UnknownTopic, `Topic "${topic}" is not in the topic registry; add it to the contracts before publishing or subscribing.`, { topic });
    }
    if (typeof target !== 'string' && target.payload.typeName !== definition.payload.typeName) {
      throw new BusError(BusErrorCode.WrongPayloadType, `Topic "${topic}" is registered with ${definition.payload.typeName}, not ${target.payload.typeName}.`, { topic });
    }
    return definition;
  }

  private toMessage(definition: TopicDefinition, payload: Message | MessageInitShape<DescMessage>): Message {
    const typeName = (payload as { $typeName?: unknown }).$typeName;
    if (typeName === undefined) return create(definition.payload, payload as MessageInitShape<DescMessage>);
    if (typeName !== definition.payload.typeName) {
      throw new BusError(
        BusErrorCode.WrongPayloadType,
        `Topic "${definition.topic}" carries ${definition.payload.typeName}, but the payload is ${String(typeName)}.`,
        { topic: definition.topic },
      );
    }
    return payload as Message;
  }

  private assertMayPublish(publishers: TopicDefinition['publishers'], topic: string): void {
    // The access policy decides; the registry check in front of it keeps the allowed (hot) path allocation-free.
    if (mayPublish(publishers, this.identity)) return;
    const decision = this.policy.canPublish({ kind: 'service', identity: this.identity }, topic);
    if (!decision.allowed) throw new BusError(BusErrorCode.NotPermitted, `Refused by the access policy: ${decision.reason}.`, { topic });
  }

  private send(out: OutgoingEnvelope, priority = false): Promise<void> {
    if (this.stateValue === 'closed' || (this.stateValue === 'closing' && !priority)) {
      return Promise.reject(new BusError(BusErrorCode.Closed, `Cannot publish on ${out.topic}: the bus client is closed.`));
    }
    const frames = this.codec.encode(out);
    if (frames[1].length > this.maxEnvelopeBytes) {
      throw new BusError(BusErrorCode.PayloadTooLarge, `The envelope for ${out.topic} is ${frames[1].length} bytes; the limit is ${this.maxEnvelopeBytes}.`);
    }
    this.published++;
    const sent = this.queue.enqueue(frames as Frames, priority);
    // Marks the rejection as handled for fire-and-forget callers; callers that await still see it.
    sent.catch(() => undefined);
    return sent;
  }

  /** Sends a request; a failure to send (even a synchronous one) fails that request instead of escaping. */
  private sendSafely(correlationId: string, out: OutgoingEnvelope): void {
    try {
      this.send(out).catch((error: unknown) => this.pending.fail(correlationId, error));
    } catch (error) {
      this.pending.fail(correlationId, error);
    }
  }

  /** Emits an event; a listener that throws is logged, never allowed to break reconnection. */
  private emitSafely(event: 'disconnected' | 'reconnected'): void {
    try {
      this.emit(event);
    } catch (error) {
      this.logger.error({ err: error, event }, 'A bus client event listener failed');
    }
  }

  private addSubscription(subscription: Subscription): () => void {
    this.subscriptions.push(subscription);
    this.zmqSubscribe(subscription.prefix);
    return () => {
      const index = this.subscriptions.indexOf(subscription);
      if (index >= 0) {
        this.subscriptions.splice(index, 1);
        this.zmqUnsubscribe(subscription.prefix);
      }
    };
  }

  private zmqSubscribe(prefix: string): void {
    const count = this.zmqSubscriptions.get(prefix) ?? 0;
    this.zmqSubscriptions.set(prefix, count + 1);
    if (count === 0 && (this.intakeOpen || prefix === this.replyTopic)) this.sub.subscribe(prefix);
  }

  private zmqUnsubscribe(prefix: string): void {
    const count = this.zmqSubscriptions.get(prefix) ?? 0;
    if (count <= 1) {
      this.zmqSubscriptions.delete(prefix);
      if (this.stateValue !== 'closed' && this.stateValue !== 'closing') this.sub.unsubscribe(prefix);
    } else {
      this.zmqSubscriptions.set(prefix, count - 1);
    }
  }

  /** Publishes probes on this client's reply topic until one comes back through the proxy. */
  private probe(timeoutMs: number): Promise<void> {
    const probeId = uuidv7();
    return new Promise<void>((resolve, reject) => {
      let interval = 10;
      let retry: NodeJS.Timeout | undefined;
      const settle = (): void => {
        clearTimeout(retry);
        clearTimeout(deadline);
        this.probes.delete(probeId);
      };
      const deadline = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            settle();
            reject(
              new BusError(
                BusErrorCode.BusUnreachable,
                `The bus did not answer within ${timeoutMs} ms (publish ${this.options.publishEndpoint}, subscribe ${this.options.subscribeEndpoint}). Is the bus process running, with the same master key?`,
              ),
            );
          }, timeoutMs)
        : undefined;
      this.probes.set(probeId, {
        resolve: () => {
          settle();
          resolve();
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      const sendProbe = (): void => {
        if (!this.probes.has(probeId)) return;
        this.send({ topic: this.replyTopic, schema: PingRequestSchema, payload: create(PingRequestSchema), correlationId: probeId }, true).catch(() => undefined);
        retry = setTimeout(sendProbe, interval);
        interval = Math.min(interval * 2, 250);
      };
      sendProbe();
    });
  }

  private watchSocket(socket: Publisher | Subscriber, role: 'publish' | 'subscribe'): void {
    void watchSocketEvents(socket, {
      disconnect: (event) => {
        if (this.stateValue !== 'ready') return;
        this.stateValue = 'reconnecting';
        this.queue.hold();
        this.logger.warn({ role, address: event.address }, 'Lost the bus connection; holding outgoing envelopes until it is back');
        this.probe(Number.POSITIVE_INFINITY).then(
          () => {
            // A close() that began meanwhile is draining: let the held envelopes go now that the bus is back.
            this.queue.release();
            if (this.stateValue !== 'reconnecting') return;
            this.stateValue = 'ready';
            this.logger.info({ queued: this.queue.length }, 'Bus connection restored');
            this.emitSafely('reconnected');
          },
          () => undefined, // rejected only by close()
        );
        this.emitSafely('disconnected');
      },
      'handshake:error:auth': (event) => {
        const error = new BusError(
          BusErrorCode.AuthRejected,
          `The bus refused the CURVE key of identity "${this.identity}" (status ${event.error.status}). The bus and this service must use the same master key, and the identity must be known to the bus.`,
        );
        this.logger.error({ role, address: event.address, status: event.error.status }, error.message);
        this.authFailure?.(error);
      },
      'handshake:error:protocol': (event) => {
        this.logger.error({ role, address: event.address, code: event.error.code }, 'CURVE handshake with the bus failed');
      },
    });
  }

  private async receive(): Promise<void> {
    try {
      for await (const frames of this.sub) {
        try {
          this.onFrames(frames);
        } catch (error) {
          // Whatever one message does (a payload that fails to decode in a filter, say), the loop must go on.
          this.drops.drop('malformed', { error: (error as Error).message }, 'handling the envelope failed');
        }
      }
    } catch (error) {
      if (this.stateValue !== 'closing' && this.stateValue !== 'closed') this.logger.error({ err: error }, 'The bus receive loop stopped');
    }
  }

  private onFrames(frames: Buffer[]): void {
    this.received++;
    const verdict = judgeInbound(frames, { registry: this.options.registry, codec: this.codec, maxEnvelopeBytes: this.maxEnvelopeBytes, intakeOpen: this.intakeOpen });
    switch (verdict.kind) {
      case 'drop':
        this.drops.drop(verdict.reason, verdict.fields, verdict.why);
        return;
      case 'reply':
        this.onReply(verdict.envelope);
        return;
      case 'deliver': {
        const { definition, message } = verdict;
        if (definition.kind === 'request') {
          // A requester's keep-alive or cancel of a stream: for the responder of that stream, not for subscribers.
          if (isStreamControl(message.envelope.attributes[StreamAttribute.control])) return this.responseStreams.control(message);
          this.onRequest(definition, message);
        }
        for (const subscription of this.subscriptions) {
          if (subscription.exact ? message.topic === subscription.prefix : message.topic.startsWith(subscription.prefix)) {
            this.run(message, () => subscription.handler(message));
          }
        }
      }
    }
  }

  private onReply(envelope: Envelope): void {
    if (envelope.topic !== this.replyTopic) return;
    const probe = this.probes.get(envelope.correlationId);
    if (probe) probe.resolve();
    else if (!this.pending.settle(envelope) && !this.streams.receive(envelope)) {
      this.drops.drop('late_reply', { correlationId: envelope.correlationId, source: envelope.source }, 'no request is waiting for this reply');
    }
  }

  private onRequest(definition: RequestDefinition, request: IncomingMessage): void {
    const responder = this.responders.get(definition.topic);
    if (!responder) return;
    if (!request.replyTo || !isReplyTopic(request.replyTo)) {
      this.drops.drop('malformed', { topic: definition.topic, source: request.source }, 'a request without a valid reply_to');
      return;
    }
    const deadline = request.deadlineMs;
    if (deadline !== undefined && deadline < Date.now()) {
      this.drops.drop('expired_request', { topic: definition.topic, source: request.source, correlationId: request.correlationId }, 'the request passed its deadline before it was handled');
      return;
    }
    try {
      if (responder.accept && !responder.accept(request)) return;
    } catch (error) {
      this.drops.drop('malformed', { topic: definition.topic, source: request.source, error: (error as Error).message }, 'the request payload does not decode');
      return;
    }
    let stream: ActiveResponseStream | undefined;
    if (responder.stream) {
      stream = this.responseStreams.open(request, definition as StreamRequestDefinition, responder.stream.keepAliveIntervalMs);
      if (!stream) {
        this.drops.drop('malformed', { topic: definition.topic, source: request.source, correlationId: request.correlationId }, 'a second streamed request with the id of one still answered');
        return;
      }
    }
    const answer = (out: OutgoingEnvelope): Promise<void> => (stream ? stream.finish(out) : this.send(out));
    this.run(request, async () => {
      const reply: OutgoingEnvelope = { topic: request.replyTo, correlationId: request.correlationId, contractVersion: definition.contractVersion };
      try {
        decodeRequestPayload(definition, request);
        const key = request.envelope.idempotencyKey;
        // A stream is not replayed from the cache: its deltas went to the first requester only.
        const { result: pending, replayed } =
          key && !stream
            ? this.idempotency.run(`${definition.topic}\u0000${request.source}\u0000${key}`, () => responder.handler(request, undefined))
            : { result: responder.handler(request, stream), replayed: false };
        if (replayed) this.logger.debug({ topic: definition.topic, source: request.source, idempotencyKey: key }, 'Answered a repeated request from the idempotency cache');
        const result = await pending;
        const payload = this.toMessage({ ...definition, payload: definition.response }, result);
        await answer({ ...reply, schema: definition.response, payload });
      } catch (error) {
        // Sending failed because this client is closing: there is no one left to tell.
        if (error instanceof BusError && error.code === BusErrorCode.Closed && this.stateValue !== 'ready' && this.stateValue !== 'reconnecting') throw error;
        // A coded (public) error is an answer the caller can act on, not a failure of this service.
        if (error instanceof PublicError) this.logger.info({ code: error.code, reason: error.message, topic: definition.topic, source: request.source }, 'Request refused');
        else this.logger.error({ err: error, topic: definition.topic, source: request.source }, 'Request handler failed');
        await answer({ ...reply, error: toErrorInfo(error, definition.topic, request.correlationId) });
      } finally {
        // A handler that failed before answering (or whose answer could not be sent) leaves nothing running.
        stream?.end();
      }
    });
  }

  private addResponder(
    definition: RequestDefinition,
    handler: RequestHandler,
    accept: ((request: never) => boolean) | undefined,
    stream: Responder['stream'],
  ): () => void {
    if (!mayPublish(definition.responders, this.identity)) {
      throw new BusError(BusErrorCode.NotPermitted, `Identity "${this.identity}" may not answer ${definition.topic}.`);
    }
    if (this.responders.has(definition.topic)) {
      throw new BusError(BusErrorCode.InvalidRequest, `A handler for ${definition.topic} is already registered on this client.`);
    }
    this.responders.set(definition.topic, { definition, handler, accept: accept as ((message: IncomingMessage) => boolean) | undefined, stream });
    this.zmqSubscribe(definition.topic);
    return () => {
      if (this.responders.delete(definition.topic)) this.zmqUnsubscribe(definition.topic);
    };
  }

  /** A caller may choose the id (to match progress events it publishes elsewhere); it must be unique. */
  private newCorrelationId(chosen: string | undefined): string {
    const correlationId = chosen ?? uuidv7();
    if (this.pending.has(correlationId) || this.streams.has(correlationId)) {
      throw new BusError(BusErrorCode.InvalidRequest, `A request with correlation id ${correlationId} is already waiting for its reply; use a new id.`);
    }
    return correlationId;
  }

  /** A keep-alive or cancel of a stream this client waits on, on the request's topic: best effort, never throws. */
  private sendStreamControl(definition: StreamRequestDefinition, correlationId: string, kind: StreamControl): void {
    try {
      this.send({ topic: definition.topic, correlationId, contractVersion: definition.contractVersion, attributes: { [StreamAttribute.control]: kind } }).catch(() => undefined);
    } catch {
      // A control envelope has no payload; it cannot be too large. Nothing else throws here.
    }
  }

  /** Runs a handler in the message's correlation scope, counting it in flight and logging what it throws. */
  private run(message: IncomingMessage, fn: () => unknown): void {
    this.inFlight++;
    const settle = (): void => {
      if (--this.inFlight === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    };
    try {
      const result = runWithCorrelation(message.correlationId || message.envelope.id, fn);
      if (result instanceof Promise) {
        result.then(settle, (error: unknown) => {
          settle();
          this.logger.error({ err: error, topic: message.topic }, 'Bus handler failed');
        });
        return;
      }
    } catch (error) {
      this.logger.error({ err: error, topic: message.topic }, 'Bus handler failed');
    }
    settle();
  }
}

function checkedTimeout(what: string, ms: number, min: number): number {
  if (!Number.isInteger(ms) || ms < min || ms > MAX_TIMEOUT_MS) {
    throw new BusError(BusErrorCode.InvalidRequest, `${what} must be a whole number of milliseconds from ${min} to ${MAX_TIMEOUT_MS}, got ${ms}.`);
  }
  return ms;
}

function notAStreamTopic(topic: string): BusError {
  return new BusError(BusErrorCode.NotAStreamTopic, `${topic} is not a streamed request topic (its definition declares no \`stream\` type); use request() and handle().`, { topic });
}

/**
 * Decodes a request's payload before its handler runs, so a payload protobuf refuses (invalid UTF-8 in a string
 * field, a truncated message) is answered with INVALID_REQUEST naming why, instead of failing inside the handler.
 */
function decodeRequestPayload(definition: RequestDefinition, request: IncomingMessage): void {
  try {
    void request.payload;
  } catch (error) {
    throw new BusError(BusErrorCode.InvalidRequest, `The ${definition.topic} payload (${definition.payload.typeName}) does not decode: ${(error as Error).message}.`, {
      topic: definition.topic,
    });
  }
}
