// The bus itself: zeromq's native XSUB/XPUB proxy. Forwarding runs in libzmq's own thread, never in JavaScript.
// Both sockets are CURVE servers whose ZAP domain is answered by ZapAuthenticator: deny by default. Every refusal
// (a ZAP "no", or a handshake that failed before ZAP was asked) goes through one RefusalLog.
import { Context, Proxy, XPublisher, XSubscriber } from 'zeromq';
import type { CurveKeyPair } from '@aico/keys';
import type { Logger } from '@aico/logging';
import { watchSocketEvents } from '../client/socket-events';
import { BusRefusalReason, RefusalLog } from './refusal-log';
import { ZapAuthenticator } from './zap-authenticator';

export const BUS_ZAP_DOMAIN = 'aico';

export interface BusProxyOptions {
  /** Where publishers connect (XSUB). */
  readonly publishEndpoint: string;
  /** Where subscribers connect (XPUB). */
  readonly subscribeEndpoint: string;
  readonly serverKeys: CurveKeyPair;
  /** Z85 public key → identity: the only clients admitted. */
  readonly allowedKeys: ReadonlyMap<string, string>;
  readonly logger: Logger;
  readonly highWaterMark?: number;
  /** A publisher that sends a larger message is disconnected by libzmq. */
  readonly maxMessageBytes?: number;
  /** Repeated refusals of one source and reason are logged as one line with a count this often (default 10 s). */
  readonly refusalLogIntervalMs?: number;
  /** Sources whose refusals are counted apart; beyond, they are counted together (default 100). */
  readonly refusalLogMaxSources?: number;
}

export interface BusProxyStats {
  readonly accepted: number;
  readonly rejected: number;
  readonly handshakeFailures: number;
  /** Refusal lines logged (immediate and aggregated): bounded however many clients are refused. */
  readonly refusalLines: number;
}

export class BusProxy {
  private readonly context = new Context();
  private readonly zap: ZapAuthenticator;
  private readonly frontend: XSubscriber;
  private readonly backend: XPublisher;
  private readonly proxy: Proxy<XSubscriber, XPublisher>;
  private readonly logger: Logger;
  private readonly refusals: RefusalLog;
  private readonly watchers: Promise<void>[] = [];
  private running: Promise<void> | undefined;
  private handshakeFailures = 0;

  constructor(private readonly options: BusProxyOptions) {
    this.logger = options.logger.child({ context: 'BusProxy' });
    this.refusals = new RefusalLog({
      logger: this.logger,
      intervalMs: options.refusalLogIntervalMs ?? 10_000,
      ...(options.refusalLogMaxSources ? { maxSources: options.refusalLogMaxSources } : {}),
    });
    this.zap = new ZapAuthenticator(this.context, options.allowedKeys, BUS_ZAP_DOMAIN, this.logger, (refusal) => this.refusals.record(refusal));
    const curve = {
      context: this.context,
      curveServer: true,
      curveSecretKey: options.serverKeys.secretKey,
      curvePublicKey: options.serverKeys.publicKey,
      zapDomain: BUS_ZAP_DOMAIN,
      // Without a ZAP handler, libzmq would admit every CURVE client: refuse instead (fail closed).
      zapEnforceDomain: true,
      // On stop, envelopes already forwarded get a moment to reach their subscribers.
      linger: 1_000,
    };
    const hwm = options.highWaterMark ?? 10_000;
    this.frontend = new XSubscriber({
      ...curve,
      receiveHighWaterMark: hwm,
      sendHighWaterMark: hwm,
      maxMessageSize: options.maxMessageBytes ?? 16 * 1024 * 1024,
    });
    this.backend = new XPublisher({ ...curve, sendHighWaterMark: hwm, receiveHighWaterMark: hwm });
    this.proxy = new Proxy(this.frontend, this.backend);
    for (const [socket, role] of [
      [this.frontend, 'publish'],
      [this.backend, 'subscribe'],
    ] as const) {
      // Clients without CURVE, or with a broken handshake, never reach ZAP: these events are their only trace. A
      // ZAP refusal also ends in a 'handshake:error:auth' event; it is the same refusal, already recorded by ZAP
      // (with the peer's address, which this event lacks), so it is not recorded twice.
      this.watchers.push(
        watchSocketEvents(socket, {
          'handshake:error:protocol': (event) => {
            this.handshakeFailures++;
            this.refusals.record({ address: event.address, role, reason: BusRefusalReason.HandshakeProtocol, detail: event.error.code });
          },
          'handshake:error:other': (event) => {
            this.handshakeFailures++;
            this.refusals.record({ address: event.address, role, reason: BusRefusalReason.HandshakeAborted, detail: event.error.message });
          },
        }),
      );
    }
  }

  /** The endpoints actually bound (a `tcp://127.0.0.1:*` wildcard resolves to its port). */
  get boundEndpoints(): { publishEndpoint: string; subscribeEndpoint: string } {
    return {
      publishEndpoint: this.frontend.lastEndpoint ?? this.options.publishEndpoint,
      subscribeEndpoint: this.backend.lastEndpoint ?? this.options.subscribeEndpoint,
    };
  }

  get stats(): BusProxyStats {
    return { accepted: this.zap.accepted, rejected: this.zap.rejected, handshakeFailures: this.handshakeFailures, refusalLines: this.refusals.lines };
  }

  async start(): Promise<void> {
    await this.zap.start();
    await this.frontend.bind(this.options.publishEndpoint);
    await this.backend.bind(this.options.subscribeEndpoint);
    this.running = this.proxy.run();
    this.logger.info({ ...this.boundEndpoints, identities: [...this.options.allowedKeys.values()] }, 'Bus proxy running (CURVE, deny by default)');
  }

  async stop(): Promise<void> {
    if (this.running) {
      this.proxy.terminate();
      await this.running;
      this.running = undefined;
    }
    this.frontend.close();
    this.backend.close();
    // A closed socket's monitor delivers the events it still holds, then ends: wait for them, so the last
    // refusals are in the final counts.
    await Promise.all(this.watchers);
    await this.zap.stop();
    this.refusals.stop();
    this.logger.info(this.stats, 'Bus proxy stopped');
  }
}
