// ZAP (ZeroMQ RFC 27) handler: libzmq asks it, over inproc in the proxy's context, whether a CURVE client may
// connect. It admits exactly the public keys of known identities and hands every refusal, with the peer's address
// and a reason code, to `onRefused` (the proxy's RefusalLog, which keeps a flood of them out of the logs).
import { Router, type Context } from 'zeromq';
import { z85Encode } from '@aico/keys';
import type { Logger } from '@aico/logging';
import { BusRefusalReason } from './refusal-log';

export const ZAP_ENDPOINT = 'inproc://zeromq.zap.01';
const ZAP_VERSION = '1.0';

export type ZapDecision =
  { readonly allowed: true; readonly identity: string } | { readonly allowed: false; readonly reason: BusRefusalReason; readonly detail: string };

export type ZapRefusalListener = (refusal: { readonly address: string; readonly reason: BusRefusalReason; readonly detail: string }) => void;

export class ZapAuthenticator {
  private readonly router: Router;
  private loop: Promise<void> | undefined;
  accepted = 0;
  rejected = 0;

  constructor(
    context: Context,
    /** Z85 public key → identity name. */
    private readonly allowedKeys: ReadonlyMap<string, string>,
    private readonly domain: string,
    private readonly logger: Logger,
    private readonly onRefused: ZapRefusalListener,
  ) {
    this.router = new Router({ context, linger: 0 });
  }

  /** Binds the ZAP endpoint; must happen before the CURVE sockets accept connections. */
  async start(): Promise<void> {
    await this.router.bind(ZAP_ENDPOINT);
    this.loop = this.serve();
  }

  async stop(): Promise<void> {
    this.router.close();
    await this.loop;
  }

  decide(domain: string, mechanism: string, credentials: Buffer | undefined): ZapDecision {
    if (domain !== this.domain) return { allowed: false, reason: BusRefusalReason.UnexpectedDomain, detail: `unexpected ZAP domain "${domain}"` };
    if (mechanism !== 'CURVE')
      return { allowed: false, reason: BusRefusalReason.MechanismNotAllowed, detail: `mechanism ${mechanism} is not allowed; only CURVE` };
    if (!credentials || credentials.length !== 32) return { allowed: false, reason: BusRefusalReason.NoKey, detail: 'no CURVE public key was presented' };
    const key = z85Encode(credentials);
    const identity = this.allowedKeys.get(key);
    return identity ? { allowed: true, identity } : { allowed: false, reason: BusRefusalReason.UnknownKey, detail: `unknown CURVE public key ${key}` };
  }

  private async serve(): Promise<void> {
    try {
      for await (const frames of this.router) {
        // [routing id, empty delimiter, version, request id, domain, address, routing identity, mechanism, credentials...]
        const [routingId, delimiter, version, requestId, domain, address, , mechanism, credentials] = frames;
        if (frames.length < 8 || !routingId || !delimiter || !requestId) {
          this.logger.error({ frames: frames.length }, 'Malformed ZAP request from libzmq ignored');
          continue;
        }
        const text = (frame: Buffer | undefined): string => frame?.toString('utf8') ?? '';
        let decision: ZapDecision;
        if (text(version) !== ZAP_VERSION)
          decision = { allowed: false, reason: BusRefusalReason.UnsupportedZapVersion, detail: `unsupported ZAP version "${text(version)}"` };
        else decision = this.decide(text(domain), text(mechanism), credentials);
        if (decision.allowed) {
          this.accepted++;
          this.logger.debug({ address: text(address), identity: decision.identity }, 'Bus client admitted');
        } else {
          this.rejected++;
          this.onRefused({ address: text(address), reason: decision.reason, detail: decision.detail });
        }
        await this.router.send([
          routingId,
          delimiter,
          ZAP_VERSION,
          requestId,
          decision.allowed ? '200' : '400',
          decision.allowed ? 'OK' : 'Not authorized',
          decision.allowed ? decision.identity : '',
          Buffer.alloc(0),
        ]);
      }
    } catch (error) {
      // Closing the router ends the loop; anything else leaves every new client unanswered (refused): say so loudly.
      if (!this.router.closed) this.logger.error({ err: error }, 'The ZAP handler stopped; new bus clients cannot be admitted until the bus restarts');
    }
  }
}
