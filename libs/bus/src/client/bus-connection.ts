// The sockets of one bus client and the state of its connection: a publisher to the proxy's XSUB, a subscriber to
// its XPUB, the send queue in front of the publisher (held until the bus answers a probe, and again while it is
// away), the receive loop, and an ordered close that drains what was queued and proves it went through.
import { create } from '@bufbuild/protobuf';
import { Publisher, Subscriber } from 'zeromq';
import { PingRequestSchema } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { BusError, BusErrorCode } from '../bus.error';
import type { BusClientOptions, BusClientState } from './bus-client.types';
import type { EnvelopeCodec, OutgoingEnvelope } from './envelope-codec';
import { ReadinessProbes } from './readiness-probe';
import { SendQueue } from './send-queue';
import { watchSocketEvents } from './socket-events';

const DEFAULT_MAX_ENVELOPE_BYTES = 4 * 1024 * 1024;

export type ConnectionEvent = 'ready' | 'disconnected' | 'reconnected';

export interface ConnectionOwner {
  readonly identity: string;
  readonly replyTopic: string;
  readonly codec: EnvelopeCodec;
  readonly logger: Logger;
  /** One received message, before anything about it is trusted. */
  onFrames(frames: Buffer[]): void;
  emit(event: ConnectionEvent): void;
}

export class BusConnection {
  readonly maxEnvelopeBytes: number;
  readonly subscriber: Subscriber;
  readonly probes: ReadinessProbes;
  private readonly publisher: Publisher;
  private readonly queue: SendQueue;
  private readonly logger: Logger;
  private stateValue: BusClientState = 'idle';
  private authFailure: ((error: BusError) => void) | undefined;
  private receiveLoop: Promise<void> | undefined;
  private publishedCount = 0;

  constructor(
    private readonly options: BusClientOptions,
    private readonly owner: ConnectionOwner,
  ) {
    this.logger = owner.logger;
    this.maxEnvelopeBytes = options.maxEnvelopeBytes ?? DEFAULT_MAX_ENVELOPE_BYTES;
    const common = {
      curveServerKey: options.curve.serverPublicKey,
      curvePublicKey: options.curve.publicKey,
      curveSecretKey: options.curve.secretKey,
      reconnectInterval: 100,
      reconnectMaxInterval: 1_000,
      // ZMTP heartbeats notice a proxy that vanished without closing the connection (a hung bus process; a killed one
      // closes it). Each ping wakes both ends' I/O threads: every 2 s, the 18 sockets of an idle system cost a quarter
      // of its idle CPU (issue 18), so they ping every 10 s and give up after 30 s.
      heartbeatInterval: 10_000,
      heartbeatTimeout: 30_000,
      ...(options.context ? { context: options.context } : {}),
    };
    this.publisher = new Publisher({ ...common, sendHighWaterMark: options.sendHighWaterMark ?? 10_000, linger: 2_000 });
    this.subscriber = new Subscriber({ ...common, receiveHighWaterMark: options.receiveHighWaterMark ?? 10_000, linger: 0 });
    this.queue = new SendQueue((frames) => this.publisher.send(frames as (Buffer | Uint8Array)[]), options.maxSendQueue ?? 100_000);
    // Until the first probe returns, the publisher has no subscriptions and libzmq would drop what it sends: hold.
    this.queue.hold();
    this.probes = new ReadinessProbes(
      (probeId) => this.send({ topic: owner.replyTopic, schema: PingRequestSchema, payload: create(PingRequestSchema), correlationId: probeId }, true),
      `publish ${options.publishEndpoint}, subscribe ${options.subscribeEndpoint}`,
    );
    this.watchSocket(this.publisher, 'publish');
    this.watchSocket(this.subscriber, 'subscribe');
  }

  get state(): BusClientState {
    return this.stateValue;
  }

  get closing(): boolean {
    return this.stateValue === 'closing' || this.stateValue === 'closed';
  }

  get published(): number {
    return this.publishedCount;
  }

  get queueLength(): number {
    return this.queue.length;
  }

  /** Connects the sockets and waits for a probe to come back; rejects with BUS_UNREACHABLE or AUTH_REJECTED. */
  async open(readyTimeoutMs: number): Promise<void> {
    this.stateValue = 'connecting';
    this.publisher.connect(this.options.publishEndpoint);
    this.subscriber.connect(this.options.subscribeEndpoint);
    this.receiveLoop = this.receive();
    const rejected = new Promise<never>((_, reject) => {
      this.authFailure = reject;
    });
    try {
      await Promise.race([this.probes.probe(readyTimeoutMs), rejected]);
    } finally {
      this.authFailure = undefined;
    }
  }

  /** The probe came back: release what was held. Throws CLOSED when the client was closed meanwhile. */
  markReady(): void {
    if (this.stateValue !== 'connecting') throw new BusError(BusErrorCode.Closed, 'The bus client was closed while it connected.');
    this.stateValue = 'ready';
    this.queue.release();
    this.logger.info(
      { identity: this.owner.identity, publishEndpoint: this.options.publishEndpoint, subscribeEndpoint: this.options.subscribeEndpoint },
      'Connected to the bus',
    );
    this.owner.emit('ready');
  }

  /** Queues an envelope: rejects when the client is closed, throws PAYLOAD_TOO_LARGE at once. `priority` jumps the queue (probes). */
  send(out: OutgoingEnvelope, priority = false): Promise<void> {
    if (this.stateValue === 'closed' || (this.stateValue === 'closing' && !priority)) {
      return Promise.reject(new BusError(BusErrorCode.Closed, `Cannot publish on ${out.topic}: the bus client is closed.`));
    }
    const frames = this.owner.codec.encode(out);
    if (frames[1].length > this.maxEnvelopeBytes) {
      throw new BusError(BusErrorCode.PayloadTooLarge, `The envelope for ${out.topic} is ${frames[1].length} bytes; the limit is ${this.maxEnvelopeBytes}.`);
    }
    this.publishedCount++;
    const sent = this.queue.enqueue(frames, priority);
    // Marks the rejection as handled for fire-and-forget callers; callers that await still see it.
    sent.catch(() => undefined);
    return sent;
  }

  /**
   * Refuses new sends, drains the queue (up to `drainTimeoutMs`) and proves with one probe round trip that it went
   * through, then fails what still waits (`beforeSocketsClose`) and closes the sockets.
   */
  async close(drainTimeoutMs: number, closed: BusError, beforeSocketsClose: () => void): Promise<void> {
    const wasReady = this.stateValue === 'ready';
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
      await this.probes.probe(Math.min(drainTimeoutMs, 1_000)).catch(() => this.logger.warn('The bus did not confirm the last envelopes before closing'));
    }
    this.queue.close(closed);
    beforeSocketsClose();
    this.probes.rejectAll(closed);
    this.publisher.linger = drained ? 2_000 : 0;
    this.publisher.close();
    this.subscriber.close();
    await this.receiveLoop;
    this.stateValue = 'closed';
  }

  /** Emits an event; a listener that throws is logged, never allowed to break reconnection. */
  private emitSafely(event: 'disconnected' | 'reconnected'): void {
    try {
      this.owner.emit(event);
    } catch (error) {
      this.logger.error({ err: error, event }, 'A bus client event listener failed');
    }
  }

  private watchSocket(socket: Publisher | Subscriber, role: 'publish' | 'subscribe'): void {
    void watchSocketEvents(socket, {
      disconnect: (event) => {
        if (this.stateValue !== 'ready') return;
        this.stateValue = 'reconnecting';
        this.queue.hold();
        this.logger.warn({ role, address: event.address }, 'Lost the bus connection; holding outgoing envelopes until it is back');
        this.probes.probe(Number.POSITIVE_INFINITY).then(
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
          `The bus refused the CURVE key of identity "${this.owner.identity}" (status ${event.error.status}). The bus and this service must use the same master key, and the identity must be known to the bus.`,
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
      for await (const frames of this.subscriber) this.owner.onFrames(frames);
    } catch (error) {
      if (!this.closing) this.logger.error({ err: error }, 'The bus receive loop stopped');
    }
  }
}
