// The wire rules of a streamed request, carried in envelope attributes (the Envelope itself is unchanged, so an
// older reader sees ordinary envelopes). The request goes out on its topic like any request, with the requester's
// idle timeout; the responder answers on the requester's reply topic (so only the requester hears it) with deltas
// numbered 1, 2, 3…, keep-alives while it has nothing to say, and one final reply that says how many deltas it
// sent. The requester talks back on the request topic (registered, with its publishers): keep-alives while it
// listens, and a cancel. Control envelopes carry no payload.

/** Envelope attribute names of the stream protocol. */
export const StreamAttribute = {
  /** On the request: the requester's idle timeout (ms). Marks a streamed request and sets the keep-alive pace. */
  idleTimeoutMs: 'stream_idle_ms',
  /** On a delta: its sequence number, 1 for the first, without gaps. */
  sequence: 'stream_seq',
  /** A control envelope: `keepalive` (either way) or `cancel` (requester to responder). */
  control: 'stream_control',
  /** On a responder's keep-alive: how many deltas it has sent so far (so a lost last delta is noticed early). */
  lastSequence: 'stream_last_seq',
  /** On the final reply: how many deltas were sent in all. */
  count: 'stream_count',
} as const;

export type StreamControl = 'keepalive' | 'cancel';

export function isStreamControl(value: string | undefined): value is StreamControl {
  return value === 'keepalive' || value === 'cancel';
}

/**
 * Default idle timeout of a streamed request: long enough for a loaded laptop's event loop to stall for a while
 * without a false alarm, short enough that a responder killed mid-stream is reported within seconds instead of at
 * the request's deadline (which, for a generation, is minutes).
 */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 10_000;
/** Below this, keep-alives would be a flood and any scheduling hiccup a false alarm. */
export const MIN_STREAM_IDLE_TIMEOUT_MS = 100;
/** setTimeout's limit (2^31 - 1 ms). */
export const MAX_TIMER_MS = 2_147_483_647;

/** Each side beats this many times per idle timeout, so a beat or two lost to a busy moment is not a stall. */
const BEATS_PER_IDLE_TIMEOUT = 4;
const MIN_KEEP_ALIVE_INTERVAL_MS = 25;

/** How often a side that has sent nothing else sends a keep-alive, for the requester's idle timeout. */
export function keepAliveIntervalMs(idleTimeoutMs: number, requestedMs?: number): number {
  const paced = Math.max(MIN_KEEP_ALIVE_INTERVAL_MS, Math.floor(idleTimeoutMs / BEATS_PER_IDLE_TIMEOUT));
  // A responder may beat more often than the requester asks, never so rarely that the requester gives up.
  if (requestedMs === undefined) return paced;
  return Math.max(MIN_KEEP_ALIVE_INTERVAL_MS, Math.min(requestedMs, Math.floor(idleTimeoutMs / 2)));
}

/** A count or sequence number as the protocol writes it: a decimal whole number; anything else is undefined. */
export function parseCount(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d{1,15}$/.test(text)) return undefined;
  return Number(text);
}

/** The idle timeout a request carries, held to sane bounds (it comes from another process). */
export function parseIdleTimeout(text: string | undefined): number | undefined {
  const value = parseCount(text);
  if (value === undefined) return undefined;
  return Math.min(Math.max(value, MIN_STREAM_IDLE_TIMEOUT_MS), MAX_TIMER_MS);
}
