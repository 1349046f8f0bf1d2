// Raw baseline peer process: plain zeromq.js Publisher + Subscriber with CURVE, the socket options BusClient uses,
// two frames [topic, 200-byte payload], no protobuf. One peer publishes and requests, the other subscribes and
// echoes requests back on the requester's reply topic.
import { Publisher, Subscriber } from 'zeromq';
import { floodLoop, log, pacedLoop, readSetup, ReceiveStats, serve, sleep, type SendOne } from './child-runtime';
import {
  ECHO_TOPIC,
  FLOOD_TOPIC,
  HIGH_WATER_MARK,
  Kind,
  makePayload,
  nowNs,
  payloadSentAtNs,
  payloadSequence,
  summarize,
  type CommandArgs,
  type RoundTripResult,
} from './protocol';

/** Fire-and-forget sends for code paths that may overlap (echoes, request bursts): zeromq allows one pending send. */
class RawSender {
  private readonly queue: Buffer[][] = [];
  private busy = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly socket: Publisher,
    private readonly name: string,
  ) {}

  send(frames: Buffer[]): void {
    if (this.busy) {
      this.queue.push(frames);
      return;
    }
    this.busy = true;
    void this.pump(frames);
  }

  drained(): Promise<void> {
    return this.busy ? new Promise((resolve) => this.idleWaiters.push(resolve)) : Promise.resolve();
  }

  private async pump(first: Buffer[]): Promise<void> {
    for (let frames: Buffer[] | undefined = first; frames; frames = this.queue.shift()) {
      try {
        await this.socket.send(frames);
      } catch (error) {
        log(this.name, `send failed: ${(error as Error).message}`);
      }
    }
    this.busy = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

interface RoundTripState {
  readonly warmEndNs: number;
  readonly stopAtNs: number;
  readonly rtts: number[];
  outstanding: number;
  sequence: number;
  done: () => void;
}

/** Requests echoed back by the other peer: the readiness check, and a measurement with a window of them in flight. */
class RawRoundTrips {
  private state: RoundTripState | undefined;
  private replyWaiter: (() => void) | undefined;

  constructor(
    private readonly sender: RawSender,
    private readonly requestTopic: Buffer,
  ) {}

  onReply(body: Buffer): void {
    const now = nowNs();
    this.replyWaiter?.();
    this.replyWaiter = undefined;
    const state = this.state;
    // Readiness probes carry sequence -1 and are not part of a measurement.
    if (!state || payloadSequence(body) < 0) return;
    state.outstanding--;
    if (now >= state.warmEndNs && now <= state.stopAtNs) state.rtts.push((now - payloadSentAtNs(body)) / 1e6);
    if (now < state.stopAtNs) this.sendRequest(state);
    else if (state.outstanding === 0) state.done();
  }

  /** Requests until one reply comes back: both directions' subscriptions have reached the publishers. */
  async ready(): Promise<void> {
    let answered = false;
    const reply = new Promise<void>((resolve) => (this.replyWaiter = resolve)).then(() => (answered = true));
    for (let attempt = 0; !answered; attempt++) {
      if (attempt > 500) throw new Error('no reply to readiness requests within 10 s');
      this.sender.send([this.requestTopic, makePayload(Kind.Request, -1, nowNs())]);
      await Promise.race([reply, sleep(20)]);
    }
  }

  async measure(args: CommandArgs): Promise<RoundTripResult> {
    const warmupMs = args.warmupMs ?? 300;
    const durationMs = args.durationMs ?? 3_000;
    const start = nowNs();
    let done = (): void => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const state: RoundTripState = {
      warmEndNs: start + warmupMs * 1e6,
      stopAtNs: start + (warmupMs + durationMs) * 1e6,
      rtts: [],
      outstanding: 0,
      sequence: 0,
      done,
    };
    this.state = state;
    for (let i = 0; i < (args.concurrency ?? 64); i++) this.sendRequest(state);
    await Promise.race([finished, sleep(warmupMs + durationMs + 2_000)]);
    this.state = undefined;
    return { completed: state.rtts.length, seconds: durationMs / 1000, errors: state.outstanding, latencyMs: summarize(state.rtts) };
  }

  private sendRequest(state: RoundTripState): void {
    state.outstanding++;
    this.sender.send([this.requestTopic, makePayload(Kind.Request, state.sequence++, nowNs())]);
  }
}

type Setup = ReturnType<typeof readSetup>;

/** A Publisher and a Subscriber with what BusClient sets on its sockets, connected to the proxy. */
function openSockets(setup: Setup): { pub: Publisher; sub: Subscriber } {
  const { name, curve } = setup;
  if (!curve || !setup.publishEndpoint || !setup.subscribeEndpoint) throw new Error(`${name}: endpoints or keys missing`);
  const common = {
    curveServerKey: curve.serverPublicKey,
    curvePublicKey: curve.publicKey,
    curveSecretKey: curve.secretKey,
    reconnectInterval: 100,
    reconnectMaxInterval: 1_000,
    heartbeatInterval: 10_000,
    heartbeatTimeout: 30_000,
  };
  const pub = new Publisher({ ...common, sendHighWaterMark: HIGH_WATER_MARK, linger: 0 });
  const sub = new Subscriber({ ...common, receiveHighWaterMark: HIGH_WATER_MARK, linger: 0 });
  for (const topic of setup.topics ?? []) sub.subscribe(topic);
  pub.connect(setup.publishEndpoint);
  sub.connect(setup.subscribeEndpoint);
  return { pub, sub };
}

/**
 * `BENCH_RAW_WORK_US`: CPU the raw peers burn on every message they receive (default 0). It shows what a few µs of
 * JavaScript per message cost raw zeromq.js's figures, the yardstick for what aico's own JavaScript costs.
 */
const WORK_NS = Number(process.env['BENCH_RAW_WORK_US'] ?? 0) * 1_000;

function work(): void {
  const end = nowNs() + WORK_NS;
  while (nowNs() < end);
}

/** Requests are echoed on `replyTopic`, replies go to the round trips, everything else is counted. */
async function receiveLoop(sub: Subscriber, sender: RawSender, replyTopic: Buffer, roundTrips: RawRoundTrips, stats: ReceiveStats): Promise<void> {
  for await (const frames of sub) {
    const body = frames[1];
    if (!body) continue;
    if (WORK_NS > 0) work();
    const kind = body[0];
    if (kind === Kind.Request) {
      body[0] = Kind.Reply;
      sender.send([replyTopic, body]);
    } else if (kind === Kind.Reply) {
      roundTrips.onReply(body);
    } else {
      stats.onMessage(kind, body);
    }
  }
}

async function main(): Promise<void> {
  const setup = readSetup();
  const { name } = setup;
  const { pub, sub } = openSockets(setup);
  const floodTopic = Buffer.from(FLOOD_TOPIC);
  const replyTopic = Buffer.from(setup.replyTopic ?? 'reply.none');
  const stats = new ReceiveStats();
  const sender = new RawSender(pub, name);
  const roundTrips = new RawRoundTrips(sender, Buffer.from(ECHO_TOPIC));
  const receiving = receiveLoop(sub, sender, replyTopic, roundTrips, stats).catch((error: unknown) =>
    log(name, `receive loop ended: ${(error as Error).message}`),
  );

  // Raw zeromq: await every send (one pending send per socket), the payload stamped as it is handed over.
  const sendEvent: SendOne = (kind, sequence) => pub.send([floodTopic, makePayload(kind, sequence, nowNs())]);
  let helloTimer: NodeJS.Timeout | undefined;

  serve(
    {
      startHello: () => {
        helloTimer = setInterval(() => sender.send([floodTopic, makePayload(Kind.Hello, 0, 0)]), 5);
      },
      stopHello: async () => {
        clearInterval(helloTimer);
        await sender.drained();
      },
      waitHello: () => stats.waitHello(),
      reset: () => stats.reset(),
      collect: (args) => stats.collect(args),
      flood: async (args) => {
        await sender.drained();
        return floodLoop(sendEvent, { ...args, awaitEvery: 1 });
      },
      paced: async (args) => {
        await sender.drained();
        return pacedLoop(sendEvent, true, args);
      },
      roundTripReady: () => roundTrips.ready(),
      roundTrips: (args: CommandArgs) => roundTrips.measure(args),
    },
    { replyTopic: replyTopic.toString() },
    async () => {
      clearInterval(helloTimer);
      pub.close();
      sub.close();
      await receiving;
    },
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench:raw-peer] failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
