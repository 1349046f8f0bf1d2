// The public option and result types of BusClient.
import type { DescMessage } from '@bufbuild/protobuf';
import type { Context } from 'zeromq';
import type { TopicRegistry } from '@aico/contracts';
import type { Logger } from '@aico/logging';
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
  readonly logger: Logger;
  readonly sendHighWaterMark?: number;
  readonly receiveHighWaterMark?: number;
  readonly maxEnvelopeBytes?: number;
  readonly requestTimeoutMs?: number;
  readonly readyTimeoutMs?: number;
  readonly maxSendQueue?: number;
  /** Dropped envelopes of one reason are logged at most once this often, with a count (default 1 s). */
  readonly dropLogIntervalMs?: number;
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

export interface BusClientStats {
  readonly published: number;
  readonly received: number;
  readonly dropped: number;
  readonly droppedByReason: Record<string, number>;
  readonly sendQueueLength: number;
  readonly pendingRequests: number;
  readonly inFlightHandlers: number;
}
