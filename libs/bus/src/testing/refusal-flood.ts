// Test harness: a flood of clients the bus must refuse — raw zeromq sockets without CURVE, and CURVE sockets with
// keys of their own — each making exactly one connection attempt and waiting until it has been refused.
import { curveKeyPair, Publisher, Subscriber, type Socket } from 'zeromq';
import { watchSocketEvents } from '../client/socket-events';

export interface RefusalFloodOptions {
  readonly publishEndpoint: string;
  readonly subscribeEndpoint: string;
  /** The bus's CURVE public key (Z85): a wrong-key client knows it, as an attacker who read it could. */
  readonly serverPublicKey: string;
  /** Attempts by clients without CURVE. */
  readonly plain: number;
  /** Attempts by CURVE clients, each with a fresh key the bus does not know. */
  readonly wrongKey: number;
  /** Attempts in flight at once (default 50). */
  readonly concurrency?: number;
  /** How long one attempt may wait for its refusal before the flood fails (default 60 s: a signal, not a window). */
  readonly attemptTimeoutMs?: number;
}

export interface RefusalFloodResult {
  readonly attempts: number;
  /** What the clients saw, by event and code: every attempt ends in exactly one of these. */
  readonly outcomes: Readonly<Record<string, number>>;
}

/** Runs the attempts (plain ones first), alternating the publish and subscribe endpoints. */
export async function floodWithRefusedClients(options: RefusalFloodOptions): Promise<RefusalFloodResult> {
  const outcomes: Record<string, number> = {};
  const kinds: ('plain' | 'wrongKey')[] = [...Array<'plain'>(options.plain).fill('plain'), ...Array<'wrongKey'>(options.wrongKey).fill('wrongKey')];
  const concurrency = options.concurrency ?? 50;
  for (let start = 0; start < kinds.length; start += concurrency) {
    const batch = kinds.slice(start, start + concurrency).map(async (kind, offset) => {
      const outcome = await refusedAttempt(options, kind, (start + offset) % 2 === 0, options.attemptTimeoutMs ?? 60_000);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    });
    await Promise.all(batch);
  }
  return { attempts: kinds.length, outcomes };
}

async function refusedAttempt(options: RefusalFloodOptions, kind: 'plain' | 'wrongKey', publisher: boolean, timeoutMs: number): Promise<string> {
  // No reconnection: one socket is one attempt, so the bus's count can be compared with the attempts.
  const base = { linger: 0, reconnectInterval: -1 };
  let socketOptions: typeof base & { curveServerKey?: string; curvePublicKey?: string; curveSecretKey?: string } = base;
  if (kind === 'wrongKey') {
    const own = curveKeyPair();
    socketOptions = { ...base, curveServerKey: options.serverPublicKey, curvePublicKey: own.publicKey, curveSecretKey: own.secretKey };
  }
  const socket: Socket = publisher ? new Publisher(socketOptions) : new Subscriber(socketOptions);
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`a ${kind} client was neither refused nor admitted within ${timeoutMs} ms`)), timeoutMs);
      const settle = (outcome: string) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      void watchSocketEvents(socket, {
        'handshake:error:protocol': (event) => settle(`protocol:${event.error.code}`),
        'handshake:error:auth': (event) => settle(`auth:${event.error.status}`),
        'handshake:error:other': (event) => settle(`other:${event.error.message}`),
        // The bus may close the connection right after its refusal: on a busy machine the client can see the
        // disconnect before (or instead of) the refusal itself. Either way the attempt has ended, refused.
        disconnect: () => settle('disconnected'),
        handshake: () => {
          clearTimeout(timer);
          reject(new Error(`a ${kind} client was admitted by the bus`));
        },
      });
      socket.connect(publisher ? options.publishEndpoint : options.subscribeEndpoint);
    });
  } finally {
    socket.close();
  }
}
