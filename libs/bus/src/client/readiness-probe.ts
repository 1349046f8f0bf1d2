// Readiness by handshake: a client publishes probes on its own reply topic until one comes back through the proxy.
// One that returns proves the connection works both ways and that every subscription made before it has reached
// the proxy (a subscriber's subscriptions stay in order).
import { BusError, BusErrorCode } from '../bus.error';
import { uuidv7 } from './uuid-v7';

interface WaitingProbe {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class ReadinessProbes {
  private readonly waiting = new Map<string, WaitingProbe>();

  /**
   * @param sendProbe publishes one probe with this correlation id (best effort: its rejection is ignored).
   * @param where names the endpoints, for the error when the bus never answers.
   */
  constructor(
    private readonly sendProbe: (probeId: string) => Promise<void>,
    private readonly where: string,
  ) {}

  /** Resolves when a probe comes back; rejects with BUS_UNREACHABLE after `timeoutMs` (never, when infinite). */
  probe(timeoutMs: number): Promise<void> {
    const probeId = uuidv7();
    return new Promise<void>((resolve, reject) => {
      let interval = 10;
      let retry: NodeJS.Timeout | undefined;
      const settle = (): void => {
        clearTimeout(retry);
        clearTimeout(deadline);
        this.waiting.delete(probeId);
      };
      const deadline = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            settle();
            reject(
              new BusError(
                BusErrorCode.BusUnreachable,
                `The bus did not answer within ${timeoutMs} ms (${this.where}). Is the bus process running, with the same master key?`,
              ),
            );
          }, timeoutMs)
        : undefined;
      this.waiting.set(probeId, {
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
        if (!this.waiting.has(probeId)) return;
        this.sendProbe(probeId).catch(() => undefined);
        retry = setTimeout(sendProbe, interval);
        interval = Math.min(interval * 2, 250);
      };
      sendProbe();
    });
  }

  /** A reply with this correlation id arrived; true if it was one of the probes. */
  returned(correlationId: string): boolean {
    const probe = this.waiting.get(correlationId);
    probe?.resolve();
    return probe !== undefined;
  }

  rejectAll(error: unknown): void {
    for (const probe of [...this.waiting.values()]) probe.reject(error);
    this.waiting.clear();
  }
}
