// Refused bus connections, logged so that a flood of them cannot flood the logs (nor, through the log tap, the
// database): per source and reason the first refusal is logged at once, later ones are counted and reported in one
// line per interval with the count and the first and last time. A source that stayed quiet for a whole interval is
// forgotten, so its next refusal is logged at once again. Every refusal line has a `count`: their sum is the number
// of refusals.
import type { Logger } from '@aico/logging';

/** Why the proxy refused a client. */
export enum BusRefusalReason {
  /** A CURVE client whose public key is not one of the known identities'. */
  UnknownKey = 'UNKNOWN_CURVE_KEY',
  /** A CURVE client that presented no (or a malformed) public key. */
  NoKey = 'NO_CURVE_KEY',
  /** A client asking for another security mechanism than CURVE. */
  MechanismNotAllowed = 'MECHANISM_NOT_ALLOWED',
  /** A ZAP request for another domain than the bus's (libzmq misconfigured). */
  UnexpectedDomain = 'UNEXPECTED_ZAP_DOMAIN',
  UnsupportedZapVersion = 'UNSUPPORTED_ZAP_VERSION',
  /** The ZMTP handshake failed on the protocol (a plain client: `ERR_ZMTP_MECHANISM_MISMATCH`). */
  HandshakeProtocol = 'HANDSHAKE_PROTOCOL_ERROR',
  /** The peer went away during the handshake (a plain client hanging up first: "Broken pipe"). */
  HandshakeAborted = 'HANDSHAKE_ABORTED',
}

export interface BusRefusal {
  /**
   * Where it came from: the peer's IP address for ZAP refusals; for a failed handshake libzmq names only the
   * endpoint it arrived at, so that endpoint.
   */
  readonly address: string;
  readonly reason: BusRefusalReason;
  /** What exactly (the unknown key, the protocol error code); a few distinct ones are kept per interval. */
  readonly detail: string;
  /** Which proxy socket, when known (handshake events know it, ZAP requests do not). */
  readonly role?: 'publish' | 'subscribe';
}

export interface RefusalLogOptions {
  readonly logger: Logger;
  /** How often the counts of repeated refusals are logged. */
  readonly intervalMs: number;
  /**
   * Sources tracked at once. Loopback alone has 16 million addresses: beyond this many, refusals are counted under
   * one entry per reason with the address `*`, so memory and lines per interval stay bounded.
   */
  readonly maxSources?: number;
  /** The clock (tests). */
  readonly now?: () => number;
}

const OTHER_SOURCES = '*';
const DETAIL_SAMPLES = 3;

interface Tally {
  readonly address: string;
  readonly reason: BusRefusalReason;
  role: BusRefusal['role'];
  /** Refusals since the last line about this source and reason. */
  count: number;
  firstAt: number;
  lastAt: number;
  readonly details: Set<string>;
}

export class RefusalLog {
  private readonly tallies = new Map<string, Tally>();
  private readonly maxSources: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private totalRefusals = 0;
  private linesLogged = 0;

  constructor(private readonly options: RefusalLogOptions) {
    this.maxSources = options.maxSources ?? 100;
    this.now = options.now ?? Date.now;
  }

  /** Every refusal recorded. */
  get total(): number {
    return this.totalRefusals;
  }

  /** Refusal lines written (immediate and aggregated). */
  get lines(): number {
    return this.linesLogged;
  }

  record(refusal: BusRefusal): void {
    this.totalRefusals++;
    const at = this.now();
    let key = `${refusal.address}\u0000${refusal.reason}`;
    let tally = this.tallies.get(key);
    if (!tally && this.tallies.size >= this.maxSources) {
      key = `${OTHER_SOURCES}\u0000${refusal.reason}`;
      tally = this.tallies.get(key);
    }
    if (!tally) {
      const address = key.startsWith(`${OTHER_SOURCES}\u0000`) ? OTHER_SOURCES : refusal.address;
      this.tallies.set(key, { address, reason: refusal.reason, role: refusal.role, count: 0, firstAt: at, lastAt: at, details: new Set() });
      this.write(
        {
          address,
          reason: refusal.reason,
          detail: refusal.detail,
          ...(refusal.role ? { role: refusal.role } : {}),
          count: 1,
          firstAt: iso(at),
          lastAt: iso(at),
        },
        'Bus client refused',
      );
      this.timer ??= setInterval(() => this.flush(), this.options.intervalMs).unref();
      return;
    }
    if (tally.count === 0) {
      tally.firstAt = at;
      tally.details.clear();
    }
    tally.count++;
    tally.lastAt = at;
    if (tally.role !== refusal.role) tally.role = undefined;
    if (tally.details.size < DETAIL_SAMPLES) tally.details.add(refusal.detail);
  }

  /** Logs the counts since the last flush, one line per source and reason; forgets the quiet ones. */
  flush(): void {
    for (const [key, tally] of this.tallies) {
      if (tally.count === 0) {
        this.tallies.delete(key);
        continue;
      }
      this.write(
        {
          address: tally.address,
          reason: tally.reason,
          ...(tally.role ? { role: tally.role } : {}),
          count: tally.count,
          firstAt: iso(tally.firstAt),
          lastAt: iso(tally.lastAt),
          details: [...tally.details],
          intervalMs: this.options.intervalMs,
        },
        'Bus client refused repeatedly',
      );
      tally.count = 0;
    }
    if (this.tallies.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Logs what is still counted and stops the timer. */
  stop(): void {
    this.flush();
    clearInterval(this.timer);
    this.timer = undefined;
    this.tallies.clear();
  }

  private write(fields: Record<string, unknown>, message: string): void {
    this.linesLogged++;
    this.options.logger.warn(fields, message);
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
