// Counts envelopes the client refused to deliver, by reason, and logs them without letting a flood of garbage
// flood the log: the first drop of a reason is logged at once, later ones at most once an interval (a second by
// default) with a count.
import type { Logger } from 'pino';

export type DropReason =
  | 'frame_count'
  | 'oversize'
  | 'malformed'
  | 'topic_mismatch'
  | 'unknown_topic'
  | 'wrong_payload_type'
  | 'unauthorized_source'
  | 'late_reply'
  | 'expired_request'
  | 'intake_stopped'
  /** A delta whose sequence number was already delivered. */
  | 'stream_duplicate'
  /** A message of a stream from another responder instance than the one that answered first. */
  | 'stream_foreign'
  /** A delta the responder sent after its stream ended (final sent, cancelled, deadline, requester gone). */
  | 'stream_after_end';

export const DROP_LOG_INTERVAL_MS = 1_000;

export class DropCounter {
  private readonly counts = new Map<DropReason, number>();
  private readonly lastLogged = new Map<DropReason, { at: number; countAtLog: number }>();
  total = 0;

  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = DROP_LOG_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  drop(reason: DropReason, fields: Record<string, unknown>, message: string): void {
    const count = (this.counts.get(reason) ?? 0) + 1;
    this.counts.set(reason, count);
    this.total++;
    // Late replies, stopped intake and deltas a cancelled handler still sent are expected in normal operation; they
    // are counted, logged at debug.
    const level = reason === 'late_reply' || reason === 'intake_stopped' || reason === 'stream_after_end' ? 'debug' : 'warn';
    const now = this.now();
    const last = this.lastLogged.get(reason);
    if (!last || now - last.at >= this.intervalMs) {
      const suppressed = last ? count - last.countAtLog - 1 : 0;
      this.logger[level]({ ...fields, reason, droppedTotal: count, ...(suppressed > 0 ? { suppressed } : {}) }, `Dropped envelope: ${message}`);
      this.lastLogged.set(reason, { at: now, countAtLog: count });
    }
  }

  byReason(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  count(reason: DropReason): number {
    return this.counts.get(reason) ?? 0;
  }
}
