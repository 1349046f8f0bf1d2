// The child side of the bench: command dispatch over the child_process IPC channel, and the measurement loops and
// receive bookkeeping that raw and aico peers share, so both stacks are measured by the same code. No zeromq and no
// aico imports here.
import { performance } from 'node:perf_hooks';
import {
  Kind,
  nowNs,
  payloadSentAtNs,
  summarize,
  type ChildSetup,
  type CollectResult,
  type CommandArgs,
  type FloodSendResult,
  type PacedSendResult,
  type ReadyMessage,
  type RpcRequest,
  type RpcResponse,
} from './protocol';

export type CommandHandler = (args: CommandArgs) => unknown;

export function readSetup(): ChildSetup {
  const raw = process.env['BENCH_SETUP'];
  if (!raw || !process.send) {
    process.stderr.write('This is a bus-bench child process; run `node tools/bench/bus/run.mjs`.\n');
    process.exit(2);
  }
  return JSON.parse(raw) as ChildSetup;
}

export function log(name: string, line: string): void {
  process.stderr.write(`[bench:${name}] ${line}\n`);
}

/**
 * Answers the orchestrator's commands, then says ready. Every child also answers `cpu` (its cumulative CPU time) and
 * `close`; it exits when the orchestrator goes away.
 */
export function serve(handlers: Record<string, CommandHandler>, ready: Record<string, unknown>, close: () => Promise<void>): void {
  const all: Record<string, CommandHandler> = {
    ...handlers,
    cpu: () => {
      const usage = process.cpuUsage();
      return { cpuMs: (usage.user + usage.system) / 1000, wallMs: performance.now() };
    },
    close: async () => {
      await close();
      setImmediate(() => process.exit(0));
      return {};
    },
  };
  process.on('message', (message: RpcRequest) => {
    const handler = all[message.cmd];
    const reply = (response: RpcResponse): void => void process.send?.(response);
    if (!handler) return reply({ id: message.id, ok: false, error: `unknown command ${message.cmd}` });
    Promise.resolve()
      .then(() => handler(message.args))
      .then(
        (result) => reply({ id: message.id, ok: true, result }),
        (error: unknown) => reply({ id: message.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
      );
  });
  // The orchestrator is gone (crash, kill): nothing left to measure for. Not process.exit(): zeromq's exit hook can
  // block on a context whose proxy still runs (seen with BusProxy's linger), and an orphan must not survive.
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
  const message: ReadyMessage = { event: 'ready', data: ready };
  process.send?.(message);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Receiver bookkeeping: flood counts and window, one-way latencies of paced messages, hello waiters. */
export class ReceiveStats {
  private floodCount = 0;
  private floodFirst = 0;
  private floodLast = 0;
  private pacedCount = 0;
  private readonly latencies = new Float64Array(1_000_000);
  private lastAt = performance.now();
  private helloWaiters: (() => void)[] = [];

  onMessage(kind: number | undefined, payload: Uint8Array): void {
    const at = performance.now();
    this.lastAt = at;
    switch (kind) {
      case Kind.Flood:
        if (this.floodCount++ === 0) this.floodFirst = at;
        this.floodLast = at;
        break;
      case Kind.Paced:
        if (this.pacedCount < this.latencies.length) this.latencies[this.pacedCount] = (nowNs() - payloadSentAtNs(payload)) / 1e6;
        this.pacedCount++;
        break;
      case Kind.Hello: {
        const waiters = this.helloWaiters;
        this.helloWaiters = [];
        for (const resolve of waiters) resolve();
        break;
      }
      default:
        break;
    }
  }

  /** Resolves at the next hello: the sender's messages reach this receiver through the proxy. */
  waitHello(): Promise<void> {
    return new Promise((resolve) => this.helloWaiters.push(resolve));
  }

  reset(): void {
    this.floodCount = 0;
    this.floodFirst = 0;
    this.floodLast = 0;
    this.pacedCount = 0;
    this.lastAt = performance.now();
  }

  /** Waits until `expected` messages of `kind` arrived, or none arrived for `idleMs` (the rest were dropped). */
  async collect(args: CommandArgs): Promise<CollectResult> {
    const kind = args.kind ?? Kind.Flood;
    const expected = args.expected ?? Number.POSITIVE_INFINITY;
    const idleMs = args.idleMs ?? 300;
    const deadline = performance.now() + (args.maxWaitMs ?? 10_000);
    const count = (): number => (kind === Kind.Flood ? this.floodCount : this.pacedCount);
    while (count() < expected && performance.now() - this.lastAt < idleMs && performance.now() < deadline) await sleep(10);
    if (kind === Kind.Flood) return { received: this.floodCount, windowSec: (this.floodLast - this.floodFirst) / 1000 };
    return { received: this.pacedCount, windowSec: 0, latencyMs: summarize(this.latencies, Math.min(this.pacedCount, this.latencies.length)) };
  }
}

export type SendOne = (kind: number, sequence: number) => Promise<void>;

/**
 * Sends Flood messages as fast as the sender allows for `durationMs` (or `maxMessages`), awaiting every
 * `awaitEvery`-th send: 1 for raw zeromq (one pending send per socket), a batch for BusClient (its queue serialises).
 */
export async function floodLoop(send: SendOne, args: CommandArgs): Promise<FloodSendResult> {
  const awaitEvery = Math.max(1, args.awaitEvery ?? 1);
  const maxMessages = args.maxMessages ?? 5_000_000;
  const started = performance.now();
  const endAt = started + (args.durationMs ?? 3_000);
  let sent = 0;
  let last: Promise<void> | undefined;
  while (sent < maxMessages) {
    last = send(Kind.Flood, sent);
    sent++;
    if (sent % awaitEvery === 0) {
      await last;
      last = undefined;
      // Check the clock every ~1k messages.
      if ((sent & 1023) < awaitEvery && performance.now() >= endAt) break;
    }
  }
  if (last) await last;
  return { sent, seconds: (performance.now() - started) / 1000 };
}

/**
 * Sends Paced messages at `rate` per second against the wall clock: every ~1 ms timer tick sends what is due, each
 * message stamped when it is handed to the stack. The first `warmupMs` send Warmup messages the receiver ignores.
 */
export async function pacedLoop(send: SendOne, awaitEach: boolean, args: CommandArgs): Promise<PacedSendResult> {
  const rate = args.rate ?? 5_000;
  const warmupMs = args.warmupMs ?? 500;
  const endMs = warmupMs + (args.durationMs ?? 3_000);
  const started = performance.now();
  let sent = 0;
  let warmupSent = 0;
  for (;;) {
    const elapsed = performance.now() - started;
    if (elapsed >= endMs) break;
    const due = Math.floor((elapsed * rate) / 1000);
    const kind = elapsed < warmupMs ? Kind.Warmup : Kind.Paced;
    let last: Promise<void> | undefined;
    while (sent < due) {
      last = send(kind, sent);
      sent++;
      if (kind === Kind.Warmup) warmupSent++;
      if (awaitEach) await last;
    }
    if (last) await last;
    await sleep(1);
  }
  return { sent, warmupSent, seconds: (performance.now() - started) / 1000 };
}
