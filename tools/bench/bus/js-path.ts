// `npm run bench:bus:js-path`: what BusClient's own JavaScript costs per publish and per request/reply, without
// zeromq, the kernel or the scheduler. Two clients live in one process; each one's send queue hands its frames to
// the other's receive path on a microtask instead of to a socket. The three-process bench (main.ts) measures the
// whole path, where this part is about a third and the machine's scheduling noise is larger than a few µs. Prints
// JSON: process CPU µs per round trip (64 in flight) and per published event (subscriber included), per round,
// and their medians over the rounds after the first.
import 'reflect-metadata';
import { BusClient } from '@aico/bus';
import { benchLogger, benchRegistry, BenchTopics, PUBLISHER_IDENTITY, SUBSCRIBER_IDENTITY } from './bench-topics';
import { Kind, makePayload, nowNs } from './protocol';

const ROUNDS = 7;
const ROUND_TRIPS = 50_000;
const EVENTS = 100_000;

type Frames = readonly (Buffer | Uint8Array)[];

/** The internals this bench rewires: the connection's state and its send queue's socket call. */
interface Rewirable {
  connection: { stateValue: string; queue: { send: (frames: Frames) => Promise<void>; release(): void } };
  onFrames(frames: Buffer[]): void;
}

function client(identity: string): BusClient {
  const unused = 'x'.repeat(40);
  return new BusClient({
    identity,
    publishEndpoint: 'tcp://127.0.0.1:1',
    subscribeEndpoint: 'tcp://127.0.0.1:2',
    curve: { publicKey: unused, secretKey: unused, serverPublicKey: unused },
    registry: benchRegistry,
    logger: benchLogger(identity),
  });
}

/** `from`'s sends arrive at `to` as zeromq would deliver them: fresh Buffers, on a later tick. */
function wire(from: BusClient, to: BusClient): void {
  const sender = from as unknown as Rewirable;
  const receiver = to as unknown as Rewirable;
  sender.connection.stateValue = 'ready';
  sender.connection.queue.release();
  sender.connection.queue.send = (frames) => {
    const copies = frames.map((frame) => Buffer.from(frame));
    queueMicrotask(() => receiver.onFrames(copies));
    return Promise.resolve();
  };
}

function cpuUs(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

async function main(): Promise<void> {
  const requester = client(PUBLISHER_IDENTITY);
  const responder = client(SUBSCRIBER_IDENTITY);
  wire(requester, responder);
  wire(responder, requester);
  responder.handle(BenchTopics.echo, (request) => ({ data: request.payload.data, sequence: request.payload.sequence, service: SUBSCRIBER_IDENTITY }));
  let received = 0;
  responder.subscribe(BenchTopics.flood, (event) => (received += event.payload.data.length > 0 ? 1 : 0));

  const roundTrips = async (): Promise<void> => {
    let sequence = 0;
    const worker = async (): Promise<void> => {
      while (sequence < ROUND_TRIPS) {
        const seq = sequence++;
        await requester.request(BenchTopics.echo, { data: makePayload(Kind.Request, seq, nowNs()), sequence: BigInt(seq) });
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
  };
  const events = async (): Promise<void> => {
    for (let i = 0; i < EVENTS; i++) {
      const sent = requester.publish(BenchTopics.flood, { data: makePayload(Kind.Flood, i, nowNs()), sequence: BigInt(i) });
      if (i % 256 === 255) await sent;
    }
    await new Promise((resolve) => setImmediate(resolve));
  };

  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    let start = cpuUs();
    await roundTrips();
    const perRoundTrip = (cpuUs() - start) / ROUND_TRIPS;
    start = cpuUs();
    received = 0;
    await events();
    const perEvent = (cpuUs() - start) / EVENTS;
    rounds.push({ cpuUsPerRoundTrip: Math.round(perRoundTrip * 100) / 100, cpuUsPerEvent: Math.round(perEvent * 100) / 100, eventsReceived: received });
  }
  // The first round includes compiling the hot paths; the medians are of the later ones.
  const later = rounds.slice(1);
  const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const summary = { cpuUsPerRoundTrip: median(later.map((r) => r.cpuUsPerRoundTrip)), cpuUsPerEvent: median(later.map((r) => r.cpuUsPerEvent)) };
  process.stdout.write(`${JSON.stringify({ node: process.version, median: summary, rounds }, null, 2)}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench:bus:js-path] failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
