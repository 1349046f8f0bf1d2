// The requests a client sends and waits on: plain ones (one reply) and streamed ones (deltas, then a final reply).
// Each gets a correlation id unique among those waiting, a deadline, and the caller's correlation scope as
// `caused_by`; replies arrive on this client's reply topic and are settled here.
import type { DescMessage, Message, MessageInitShape } from '@bufbuild/protobuf';
import { isStreamRequest, type Envelope, type RequestDefinition, type StreamRequestDefinition } from '@aico/contracts';
import { currentCorrelationId } from '@aico/logging';
import { BusError, BusErrorCode } from '../bus.error';
import type { RequestOptions, StreamRequestOptions } from './bus-client.types';
import type { OutgoingEnvelope } from './envelope-codec';
import { PendingRequests } from './pending-requests';
import { PendingStreams, type DropFn } from './pending-streams';
import { MIN_STREAM_IDLE_TIMEOUT_MS, StreamAttribute, type StreamControl } from './stream-protocol';
import { checkedTimeout, notAStreamTopic, type TopicGuard } from './topic-guard';
import { uuidv7 } from './uuid-v7';

export interface RequesterContext {
  readonly replyTopic: string;
  readonly guard: TopicGuard;
  readonly drop: DropFn;
  /** Queues an envelope (BusClient.send): rejects when it cannot go out, throws for one that is too large. */
  readonly send: (out: OutgoingEnvelope) => Promise<void>;
  readonly requestTimeoutMs: number;
  readonly streamIdleTimeoutMs: number;
}

type Payload = Message | MessageInitShape<DescMessage>;

export class BusRequester {
  private readonly pending = new PendingRequests();
  private readonly streams: PendingStreams;

  constructor(private readonly context: RequesterContext) {
    this.streams = new PendingStreams(context.drop);
  }

  /** Requests and streams waiting for their final reply. */
  get size(): number {
    return this.pending.size + this.streams.size;
  }

  request(definition: RequestDefinition, payload: Payload, options: RequestOptions): Promise<Message> {
    const registered = this.context.guard.resolve(definition);
    if (isStreamRequest(registered)) {
      const { correlationId, attributes, timeoutMs, signal } = options;
      return this.requestStream(registered, payload, { correlationId, attributes, timeoutMs, signal });
    }
    this.context.guard.assertMayPublish(definition.publishers, definition.topic);
    const message = this.context.guard.toMessage(definition.payload, definition.topic, payload);
    const timeoutMs = checkedTimeout('A request timeout', options.timeoutMs ?? this.context.requestTimeoutMs, 1);
    const correlationId = this.newCorrelationId(options.correlationId);
    const reply = this.pending.track(correlationId, definition, timeoutMs, options.signal);
    const out: OutgoingEnvelope = {
      topic: definition.topic,
      schema: definition.payload,
      payload: message,
      contractVersion: definition.contractVersion,
      correlationId,
      replyTo: this.context.replyTopic,
      deadlineMs: Date.now() + timeoutMs,
      attributes: withCause(options.attributes),
      idempotencyKey: options.idempotencyKey,
    };
    // A failure to send (even a synchronous one) fails that request instead of escaping.
    try {
      this.context.send(out).catch((error: unknown) => this.pending.fail(correlationId, error));
    } catch (error) {
      this.pending.fail(correlationId, error);
    }
    return reply;
  }

  requestStream(definition: StreamRequestDefinition, payload: Payload, options: StreamRequestOptions<DescMessage>): Promise<Message> {
    const { guard } = this.context;
    const registered = guard.resolve(definition);
    if (!isStreamRequest(registered)) throw notAStreamTopic(definition.topic);
    guard.assertMayPublish(registered.publishers, registered.topic);
    const message = guard.toMessage(registered.payload, registered.topic, payload);
    const timeoutMs = checkedTimeout('A request timeout', options.timeoutMs ?? this.context.requestTimeoutMs, 1);
    const idleTimeoutMs = checkedTimeout('A stream idle timeout', options.idleTimeoutMs ?? this.context.streamIdleTimeoutMs, MIN_STREAM_IDLE_TIMEOUT_MS);
    const correlationId = this.newCorrelationId(options.correlationId);
    if (options.signal?.aborted) {
      return Promise.reject(
        new BusError(BusErrorCode.Cancelled, `The request on ${registered.topic} was cancelled before it was sent.`, {
          topic: registered.topic,
          correlationId,
        }),
      );
    }
    const reply = this.streams.track({
      correlationId,
      definition: registered,
      timeoutMs,
      idleTimeoutMs,
      signal: options.signal,
      stopSignal: options.stopSignal,
      onDelta: options.onDelta,
      control: (kind) => this.sendStreamControl(registered, correlationId, kind),
    });
    const out: OutgoingEnvelope = {
      topic: registered.topic,
      schema: registered.payload,
      payload: message,
      contractVersion: registered.contractVersion,
      correlationId,
      replyTo: this.context.replyTopic,
      deadlineMs: Date.now() + timeoutMs,
      attributes: { ...withCause(options.attributes), [StreamAttribute.idleTimeoutMs]: String(idleTimeoutMs) },
    };
    try {
      this.context.send(out).catch((error: unknown) => this.streams.fail(correlationId, error));
      this.streams.requestSent(correlationId);
    } catch (error) {
      this.streams.fail(correlationId, error);
    }
    return reply;
  }

  /** A reply (or stream message) arrived on the reply topic; false when nothing waits for it. */
  settle(envelope: Envelope): boolean {
    return this.pending.settle(envelope) || this.streams.receive(envelope);
  }

  /** Fails every stream that depended on the ended process of identity `source`; returns how many. */
  responderGone(source: string, why: string): number {
    return this.streams.responderGone(source, why);
  }

  /** Fails every stream still waiting; with `cancelResponders`, each tells its responder to stop first. */
  failStreams(error: BusError, cancelResponders: boolean): void {
    this.streams.failAll(error, cancelResponders);
  }

  /** Fails every plain request still waiting. */
  failRequests(error: BusError): void {
    this.pending.failAll(error);
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
      this.context
        .send({ topic: definition.topic, correlationId, contractVersion: definition.contractVersion, attributes: { [StreamAttribute.control]: kind } })
        .catch(() => undefined);
    } catch {
      // A control envelope has no payload; it cannot be too large. Nothing else throws here.
    }
  }
}

/**
 * The caller's attributes plus the correlation scope the request is made in (`caused_by`), so a trace can follow one
 * cause through several services; the caller's own object when there is no scope.
 */
function withCause(attributes: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> | undefined {
  const cause = currentCorrelationId();
  return cause ? { ...attributes, caused_by: cause } : attributes;
}
