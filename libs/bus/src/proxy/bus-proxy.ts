// The bus itself: zeromq's native XSUB/XPUB proxy. Forwarding runs in libzmq's own thread, never in JavaScript.
// Both sockets are CURVE servers whose ZAP domain is answered by ZapAuthenticator: deny by default.
import { Context, Proxy, XPublisher, XSubscriber } from 'zeromq';
import type { CurveKeyPair } from '@aico/keys';
import type { Logger } from '@aico/logging';
import { watchSocketEvents } from '../client/socket-events';
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
}

export interface BusProxyStats {
  readonly accepted: number;
  readonly rejected: number;
  readonly handshakeFailures: number;
}

export class BusProxy {
  private readonly context = new Context();
  private readonly zap: ZapAuthenticator;
  private readonly frontend: XSubscriber;
  private readonly backend: XPublisher;
  private readonly proxy: Proxy<XSubscriber, XPublisher>;
  private readonly logger: Logger;
  private running: Promise<void> | undefined;
  private handshakeFailures = 0;

  constructor(private readonly options: BusProxyOptions) {
    this.logger = options.logger.child({ context: 'BusProxy' });
    this.zap = new ZapAuthenticator(this.context, options.allowedKeys, BUS_ZAP_DOMAIN, this.logger);
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
    this.frontend = new XSubscriber({ ...curve, receiveHighWaterMark: hwm, sendHighWaterMark: hwm, maxMessageSize: options.maxMessageBytes ?? 16 * 1024 * 1024 });
    this.backend = new XPublisher({ ...curve, sendHighWaterMark: hwm, receiveHighWaterMark: hwm });
    this.proxy = new Proxy(this.frontend, this.backend);
    for (const [socket, role] of [[this.frontend, 'publish'], [this.backend, 'subscribe']] as const) {
      // Clients without CURVE, or with a broken handshake, never reach ZAP: these events are their only trace.
      void watchSocketEvents(socket, {
        'handshake:error:protocol': (event) => {
          this.handshakeFailures++;
          this.logger.warn({ role, address: event.address, reason: event.error.code }, 'Bus client refused: handshake failed');
        },
        'handshake:error:other': (event) => {
          this.handshakeFailures++;
          this.logger.warn({ role, address: event.address, reason: event.error.message }, 'Bus client refused: handshake failed');
        },
      });
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
    return { accepted: this.zap.accepted, rejected: this.zap.rejected, handshakeFailures: this.handshakeFailures };
  }

  async start(): Promise<void> {
    await this.zap.start();
    await this.frontend.bind(this.options.publishEndpoint);
    await this.backend.bind(this.options.subscribeEndpoint);
    this.running = this.proxy.run();
    this.logger.info(
      { ...this.boundEndpoints, identities: [...this.options.allowedKeys.values()] },
      'Bus proxy running (CURVE, deny by default)',
    );
  }

  async stop(): Promise<void> {
    if (this.running) {
      this.proxy.terminate();
      await this.running;
      this.running = undefined;
    }
    this.frontend.close();
    this.backend.close();
    await this.zap.stop();
    this.logger.info(this.stats, 'Bus proxy stopped');
  }
}
