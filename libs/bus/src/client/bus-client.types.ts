// The public option and result types of BusClient.
import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { Context } from 'zeromq';
import type { TopicRegistry } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import type { AccessPolicy } from '@aico/policy';
import type { IncomingOf } from './envelope-codec';

export interface CurveClientKeys {
  /** This identity's keypair (Z85). */
  readonly publicKey: string;
  readonly secretKey: string;
  /** The bus proxy's public key (Z85). */
  readonly serverPublicKey: string;
}

export interface BusClientOptions {
  readonly identity: string;
  readonly instanceId?: string;
  /** The proxy's XSUB endpoint, where this client publishes. */
  readonly publishEndpoint: string;
  /** The proxy's XPUB endpoint, where this client subscribes. */
  readonly subscribeEndpoint: string;
  readonly curve: CurveClientKeys;
  readonly registry: TopicRegistry;
  /** Decides what the registry alone does not allow (default: a policy over `registry`). */
  readonly policy?: AccessPolicy;
  readonly logger: Logger;
  readonly sendHighWaterMark?: number;
  readonly receiveHighWaterMark?: number;
  readonly maxEnvelopeBytes?: number;
  readonly requestTimeoutMs?: number;
  readonly readyTimeoutMs?: number;
  readonly maxSendQueue?: number;
  /** Dropped envelopes of one reason are logged at most once this often, with a count (default 1 s). */
  readonly dropLogIntervalMs?: number;
  /**
   * How long a streamed request waits for any message (a delta or a keep-alive) before it fails with
   * STREAM_STALLED, unless the call sets its own (default 10 s). The responder beats four times as often.
   */
  readonly streamIdleTimeoutMs?: number;
  /**
   * Fail the streams this client waits on with RESPONDER_GONE as soon as the supervisor reports that the app
   * answering them crashed (`system.supervisor.app_changed`), instead of after the idle timeout (default false).
   */
  readonly followSupervisor?: boolean;
  /** Answer `system.health.ping` requests addressed to this identity (default true). */
  readonly answerPings?: boolean;
  /** zeromq context for the sockets (tests isolate with their own). */
  readonly context?: Context;
}

export type BusClientState = 'idle' | 'connecting' | 'ready' | 'reconnecting' | 'closing' | 'closed';

export interface PublishOptions {
  readonly correlationId?: string;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly idempotencyKey?: string;
}

export interface RequestOptions extends PublishOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface HandleOptions<S extends DescMessage> {
  /** Return false to leave a request to another responder (no reply is sent). */
  readonly accept?: (request: IncomingOf<S>) => boolean;
}

export interface StreamRequestOptions<D extends DescMessage> {
  /** A caller may choose the id (the responder sees it as the request's correlation id); it must be unique. */
  readonly correlationId?: string | undefined;
  readonly attributes?: Readonly<Record<string, string>> | undefined;
  /** Deadline for the final reply (default: the client's requestTimeoutMs). */
  readonly timeoutMs?: number | undefined;
  /**
   * Fail with STREAM_STALLED when no message (delta or keep-alive) arrives for this long (default: the client's
   * streamIdleTimeoutMs, 10 s). The responder learns it from the request and beats four times as often.
   */
  readonly idleTimeoutMs?: number | undefined;
  /** Abort: the call rejects at once with CANCELLED and the responder is told to stop. */
  readonly signal?: AbortSignal | undefined;
  /** Stop: the responder is told to stop, and the call still resolves with its final reply (what it has so far). */
  readonly stopSignal?: AbortSignal | undefined;
  /** Each delta, in sequence order (1, 2, 3…), exactly once. A throw (or rejected promise) fails the call. */
  readonly onDelta?: ((delta: MessageShape<D>, sequence: number) => unknown) | undefined;
}

export interface HandleStreamOptions<S extends DescMessage> extends HandleOptions<S> {
  /**
   * Beat at least this often while nothing else is sent (default: a quarter of the idle timeout the requester
   * sent). It is never slower than half that timeout, or the requester would give up on a working stream.
   */
  readonly keepAliveIntervalMs?: number;
}

/** What a streamed request's handler answers with, besides its final reply (the handler's return value). */
export interface ResponseStream<D extends DescMessage = DescMessage> {
  /**
   * Aborts when the requester cancels or falls silent (REQUESTER_GONE: it was killed), at the request's deadline,
   * or when this client stops taking work; `signal.reason` is a BusError whose code says which. Stop work at once,
   * and return what you have: the final reply still goes out (a requester that stopped it waits for it).
   */
  readonly signal: AbortSignal;
  /** Deltas sent so far. */
  readonly sent: number;
  /**
   * Queues the next delta to the requester, numbered in call order. Resolves true once handed to the socket, false
   * when the stream has ended or was stopped (the delta is dropped and counted). Rejects with PAYLOAD_TOO_LARGE for
   * a delta over maxEnvelopeBytes (the stream goes on, nothing was numbered), or when the send queue refuses it.
   */
  send(delta: MessageInitShape<D> | MessageShape<D>): Promise<boolean>;
  /** Tells the requester the work goes on. Sent automatically whenever nothing else was sent for a while. */
  keepAlive(): Promise<boolean>;
}

export interface BusClientStats {
  readonly published: number;
  readonly received: number;
  readonly dropped: number;
  readonly droppedByReason: Record<string, number>;
  readonly sendQueueLength: number;
  readonly pendingRequests: number;
  readonly inFlightHandlers: number;
}
