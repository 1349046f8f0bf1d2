// What the bench processes share: the 200-byte payload layout, the message kinds, the IPC command shapes between
// the orchestrator (main.ts) and its children, and latency summaries. Nothing here imports zeromq or an aico lib,
// so the raw processes stay raw.

/** Payload bytes of every bench message, in both stacks (the aico envelope adds its own fields around it). */
export const PAYLOAD_BYTES = 200;
/** Send and receive high-water marks of every socket, raw and aico alike (BusClient's and BusProxy's defaults). */
export const HIGH_WATER_MARK = 10_000;

/** Topic names, the same in both stacks (raw reply topics are `reply.<uuid>` like BusClient's). */
export const FLOOD_TOPIC = 'bench.flood.event';
export const ECHO_TOPIC = 'bench.echo.request';

/** Byte 0 of a payload says what it is for; raw and aico peers dispatch on it the same way. */
export const Kind = {
  Hello: 1,
  Flood: 2,
  Warmup: 3,
  Paced: 4,
  Request: 5,
  Reply: 6,
} as const;

const SEQ_OFFSET = 8;
const TS_OFFSET = 16;
const FILLER = Buffer.alloc(PAYLOAD_BYTES, 0x5a);

/** CLOCK_MONOTONIC in nanoseconds, as a double: the same clock in every process on Linux. */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/** [kind u8, pad, sequence f64 @8, send time ns f64 @16, filler] — 200 bytes. */
export function makePayload(kind: number, sequence: number, sentAtNs: number): Buffer {
  const payload = Buffer.allocUnsafe(PAYLOAD_BYTES);
  FILLER.copy(payload);
  payload[0] = kind;
  payload.writeDoubleLE(sequence, SEQ_OFFSET);
  payload.writeDoubleLE(sentAtNs, TS_OFFSET);
  return payload;
}

function readF64(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset + offset, 8).getFloat64(0, true);
}

export function payloadSentAtNs(bytes: Uint8Array): number {
  return readF64(bytes, TS_OFFSET);
}

export function payloadSequence(bytes: Uint8Array): number {
  return readF64(bytes, SEQ_OFFSET);
}

// ---- IPC between main.ts and its children ----

export interface CommandArgs {
  readonly durationMs?: number;
  readonly warmupMs?: number;
  readonly rate?: number;
  readonly concurrency?: number;
  /** Flood: await every n-th publish (1 = await each). */
  readonly awaitEvery?: number;
  readonly maxMessages?: number;
  readonly kind?: number;
  readonly expected?: number;
  readonly idleMs?: number;
  readonly maxWaitMs?: number;
  /** aico round trips: BusClient.request() or the Nest ZmqClient.send(). */
  readonly via?: 'bus' | 'nest';
}

export interface RpcRequest {
  readonly id: number;
  readonly cmd: string;
  readonly args: CommandArgs;
}

export type RpcResponse =
  { readonly id: number; readonly ok: true; readonly result: unknown } | { readonly id: number; readonly ok: false; readonly error: string };

export interface ReadyMessage {
  readonly event: 'ready';
  readonly data: Record<string, unknown>;
}

/** What a child gets in BENCH_SETUP (JSON). */
export interface ChildSetup {
  readonly name: string;
  readonly publishEndpoint?: string;
  readonly subscribeEndpoint?: string;
  /** Raw: Z85 CURVE keys. */
  readonly curve?: { readonly publicKey: string; readonly secretKey: string; readonly serverPublicKey: string };
  readonly serverKeys?: { readonly publicKey: string; readonly secretKey: string };
  /** aico: hex master key, from which identities' keys are derived. */
  readonly masterKeyHex?: string;
  readonly identity?: string;
  /** Topics a raw peer subscribes to (its reply topic, or the flood and request topics). */
  readonly topics?: readonly string[];
  /** Raw responder: where replies go. */
  readonly replyTopic?: string;
}

export interface FloodSendResult {
  readonly sent: number;
  readonly seconds: number;
}

export interface PacedSendResult {
  readonly sent: number;
  readonly warmupSent: number;
  readonly seconds: number;
}

export interface CollectResult {
  readonly received: number;
  /** First to last received, seconds. */
  readonly windowSec: number;
  readonly latencyMs?: LatencySummary;
}

export interface RoundTripResult {
  readonly completed: number;
  readonly seconds: number;
  readonly errors: number;
  readonly latencyMs: LatencySummary;
}

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;

/** Nearest-rank percentiles of the first `count` values (ms). */
export function summarize(values: ArrayLike<number>, count = values.length): LatencySummary {
  if (count === 0) return { count: 0, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  const sorted = Float64Array.from({ length: count }, (_, i) => values[i]!).sort();
  const at = (q: number): number => sorted[Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1))]!;
  let sum = 0;
  for (const value of sorted) sum += value;
  return { count, p50: round3(at(0.5)), p90: round3(at(0.9)), p99: round3(at(0.99)), max: round3(sorted[count - 1]!), mean: round3(sum / count) };
}
