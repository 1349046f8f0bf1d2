// BusClient: one process's connection to the aico bus. Publishes typed envelopes through the proxy's XSUB socket,
// receives through its XPUB socket, correlates request/reply over pub/sub, and never trusts what it receives. The
// parts live beside it: the readiness probe, the subscription table, the requester, the responders (with their
// idempotency cache), the handler accounting and the stream machinery; this class owns the sockets and the state.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import type { DescMessage, Message, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import {
  isStreamRequest,
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
import { currentCorrelationId, type Logger } from '@aico/logging';
import { BusError, BusErrorCode } from '../bus.error';
import { BusConnection } from './bus-connection';
import { BusRequester } from './bus-requester';
import { DropCounter } from './drop-counter';
import { EnvelopeCodec, type IncomingMessage, type IncomingOf, type OutgoingEnvelope } from './envelope-codec';
import { HandlerAccounting } from './handler-accounting';
import { judgeInbound } from './inbound-gate';
import { RequestResponders } from './request-responders';
import { ResponseStreams } from './response-streams';
import { DEFAULT_STREAM_IDLE_TIMEOUT_MS, isStreamControl, StreamAttribute } from './stream-protocol';
import { SubscriptionTable, type SubscriptionHandler } from './subscription-table';
import { notAStreamTopic, TopicGuard } from './topic-guard';
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

export class BusClient extends EventEmitter<{ ready: []; disconnected: []; reconnected: [] }> {
  readonly identity: string;
  readonly instanceId: string;
  /** Replies to this client's requests, and its readiness probes, arrive here. */
  readonly replyTopic: string;

  private readonly logger: Logger;
  private readonly codec: EnvelopeCodec;
  private readonly drops: DropCounter;
  private readonly guard: TopicGuard;
  private readonly connection: BusConnection;
  private readonly subscriptions: SubscriptionTable;
  private readonly handlers: HandlerAccounting;
  private readonly requester: BusRequester;
  private readonly responders: RequestResponders;
  private readonly responseStreams: ResponseStreams;
  private readonly readyTimeoutMs: number;
  private intakeOpen = true;
  private received = 0;
  private connecting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: BusClientOptions) {
    super();
    this.identity = options.identity;
    this.instanceId = options.instanceId ?? randomUUID();
    this.replyTopic = `${REPLY_TOPIC_PREFIX}${this.instanceId}`;
    this.logger = options.logger.child({ context: 'BusClient' });
    this.guard = new TopicGuard(this.identity, options.registry, options.policy);
    this.codec = new EnvelopeCodec(this.identity, this.instanceId);
    this.drops = new DropCounter(this.logger, options.dropLogIntervalMs);
    this.readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
    const drop = this.drops.drop.bind(this.drops);
    const send = (out: OutgoingEnvelope): Promise<void> => this.send(out);

    this.connection = new BusConnection(options, {
      identity: this.identity,
      replyTopic: this.replyTopic,
      codec: this.codec,
      logger: this.logger,
      onFrames: (frames) => this.onFrames(frames),
      emit: (event) => this.emit(event),
    });
    this.subscriptions = new SubscriptionTable(this.connection.subscriber, this.replyTopic, () => this.connection.closing);
    this.handlers = new HandlerAccounting(this.logger);
    this.requester = new BusRequester({
      replyTopic: this.replyTopic,
      guard: this.guard,
      drop,
      send,
      requestTimeoutMs: options.requestTimeoutMs ?? 5_000,
      streamIdleTimeoutMs: options.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS,
    });
    this.responseStreams = new ResponseStreams({
      send,
      toDelta: (definition, delta) => this.guard.toMessage(definition.stream, definition.topic, delta),
      drop,
    });
    this.responders = new RequestResponders({
      identity: this.identity,
      logger: this.logger,
      drop,
      guard: this.guard,
      subscriptions: this.subscriptions,
      handlers: this.handlers,
      responseStreams: this.responseStreams,
      send,
      working: () => this.state === 'ready' || this.state === 'reconnecting',
    });
    this.answerSystemTopics();
  }

  get state(): BusClientState {
    return this.connection.state;
  }

  /** What a log line shows of a client: never its options, which hold the CURVE secret key. */
  toJSON(): { identity: string; instanceId: string; state: BusClientState } {
    return { identity: this.identity, instanceId: this.instanceId, state: this.state };
  }

  [inspect.custom](): string {
    return `BusClient(${this.identity}, ${this.state})`;
  }

  get stats(): BusClientStats {
    return {
      published: this.connection.published,
      received: this.received,
      dropped: this.drops.total,
      droppedByReason: this.drops.byReason(),
      sendQueueLength: this.connection.queueLength,
      pendingRequests: this.requester.size,
      inFlightHandlers: this.handlers.inFlight,
    };
  }

  /**
   * Connects and resolves once this client's own probe has travelled through the proxy and back. Calling it again
   * while connecting or connected returns the same promise.
   */
  connect(): Promise<void> {
    if (this.connection.closing) {
      return Promise.reject(new BusError(BusErrorCode.Closed, 'The bus client was closed; create a new one to connect again.'));
    }
    this.connecting ??= this.establish();
    return this.connecting;
  }

  /** Publishes an event. Throws at once for an unregistered topic, a payload of the wrong type or a topic this identity may not publish. */
  publish<S extends DescMessage>(definition: EventDefinition<S>, payload: MessageInitShape<S>, options?: PublishOptions): Promise<void>;
  publish(topic: string, payload: Message, options?: PublishOptions): Promise<void>;
  publish(target: string | TopicDefinition, payload: Message | MessageInitShape<DescMessage>, options: PublishOptions = {}): Promise<void> {
    const definition = this.guard.resolve(target);
    if (definition.kind !== 'event') {
      throw new BusError(BusErrorCode.NotARequestTopic, `${definition.topic} is a request topic: use request() so a reply can find its way back.`);
    }
    this.guard.assertMayPublish(definition.publishers, definition.topic);
    return this.send({
      topic: definition.topic,
      schema: definition.payload,
      payload: this.guard.toMessage(definition.payload, definition.topic, payload),
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
    return this.requester.request(definition, payload, options) as Promise<MessageShape<R>>;
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
    const registered = this.guard.resolve(definition);
    const streamed = isStreamRequest(registered) ? { keepAliveIntervalMs: undefined } : undefined;
    return this.responders.add(definition, async (message) => handler(message as IncomingOf<P>), options.accept, streamed);
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
    const registered = this.guard.resolve(definition);
    if (!isStreamRequest(registered)) throw notAStreamTopic(definition.topic);
    return this.responders.add(definition, async (message, stream) => handler(message as IncomingOf<P>, stream as ResponseStream<D>), options.accept, {
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
    return this.requester.requestStream(definition, payload, options) as Promise<MessageShape<R>>;
  }

  /**
   * Fails with RESPONDER_GONE every stream this client waits on that depended on the process of identity `source`,
   * which has ended (`why` says how): the one answering it, or, unanswered yet, the only identity that answers its
   * topic. Returns how many. `followSupervisor` calls it when the supervisor reports a crash.
   */
  abandonStreamsFrom(source: string, why: string): number {
    return this.requester.responderGone(source, why);
  }

  /** Receives the events of one topic, typed by its definition. */
  subscribe<S extends DescMessage>(definition: EventDefinition<S>, handler: (event: IncomingOf<S>) => unknown): () => void {
    this.guard.resolve(definition);
    return this.subscriptions.add({ prefix: definition.topic, exact: true, handler: handler as SubscriptionHandler });
  }

  /** Receives every registered topic that starts with `prefix` (e.g. `system.`); payloads are typed by the registry. */
  subscribePrefix(prefix: string, handler: (message: IncomingMessage) => unknown): () => void {
    return this.subscriptions.add({ prefix, exact: false, handler });
  }

  /**
   * Stops delivering new events and requests (replies to this client's own requests still arrive). Streams this
   * client answers are asked to wind down (their signal aborts with CLOSED); their final replies still go out.
   */
  stopIntake(): void {
    this.intakeOpen = false;
    this.responseStreams.abortAll(new BusError(BusErrorCode.Closed, `The ${this.identity} service is stopping.`));
    this.subscriptions.closeIntake();
  }

  /** Resolves when no handler is running, or after `timeoutMs`. Returns whether it was idle. */
  waitForHandlers(timeoutMs: number): Promise<boolean> {
    return this.handlers.waitForIdle(timeoutMs);
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

  /** Answers pings, and (`followSupervisor`) gives up on the streams of an app the supervisor saw end. */
  private answerSystemTopics(): void {
    if (this.options.followSupervisor) {
      // Only the supervisor may publish this topic (the proxy's policy): a crashed app's streams are lost for certain.
      this.subscribe(SupervisorTopics.appChanged, ({ payload: { app } }) => {
        if (app && (app.state === SupervisedAppState.BACKOFF || app.state === SupervisedAppState.FAILED))
          this.abandonStreamsFrom(app.name, app.lastExit ? `it ended: ${app.lastExit}` : 'it ended');
      });
    }
    if (this.options.answerPings ?? true) {
      this.handle(SystemTopics.ping, (request) => ({ data: request.payload.data, sequence: request.payload.sequence, service: this.identity }), {
        accept: (request) => request.payload.target === '' || request.payload.target === this.identity,
      });
    }
  }

  private async establish(): Promise<void> {
    // Subscribed before the first probe, so the probe that comes back on it proves every earlier subscription
    // reached the proxy.
    this.subscriptions.retain(this.replyTopic);
    try {
      await this.connection.open(this.readyTimeoutMs);
    } catch (error) {
      await this.close({ drainTimeoutMs: 0 });
      throw error;
    }
    this.connection.markReady();
  }

  private async shutDown(drainTimeoutMs: number): Promise<void> {
    const stopping = new BusError(BusErrorCode.Closed, `The ${this.identity} service is stopping; try again when it is back.`);
    const closed = new BusError(BusErrorCode.Closed, 'The bus client was closed.');
    // Before the connection refuses normal sends: the last words of each stream go out with the drain.
    this.responseStreams.endAll(stopping, drainTimeoutMs > 0 ? { code: stopping.code, message: stopping.message, details: {} } : undefined);
    this.requester.failStreams(closed, drainTimeoutMs > 0);
    await this.connection.close(drainTimeoutMs, closed, () => this.requester.failRequests(closed));
  }

  private send(out: OutgoingEnvelope): Promise<void> {
    return this.connection.send(out);
  }

  private onFrames(frames: Buffer[]): void {
    try {
      this.deliver(frames);
    } catch (error) {
      // Whatever one message does (a payload that fails to decode in a filter, say), the receive loop must go on.
      this.drops.drop('malformed', { error: (error as Error).message }, 'handling the envelope failed');
    }
  }

  private deliver(frames: Buffer[]): void {
    this.received++;
    const verdict = judgeInbound(frames, {
      registry: this.options.registry,
      codec: this.codec,
      maxEnvelopeBytes: this.connection.maxEnvelopeBytes,
      intakeOpen: this.intakeOpen,
    });
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
          this.responders.onRequest(definition, message);
        }
        for (const subscription of this.subscriptions.matching(message.topic)) this.handlers.run(message, () => subscription.handler(message));
      }
    }
  }

  private onReply(envelope: Envelope): void {
    if (envelope.topic !== this.replyTopic) return;
    if (!this.connection.probes.returned(envelope.correlationId) && !this.requester.settle(envelope)) {
      this.drops.drop('late_reply', { correlationId: envelope.correlationId, source: envelope.source }, 'no request is waiting for this reply');
    }
  }
}
