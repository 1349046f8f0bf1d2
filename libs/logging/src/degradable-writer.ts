// A log destination that can fail (a full disk, a file-size limit, a pipe whose reader is gone) must never take the
// process down with it. This wraps one: while its writes fail, lines are dropped and counted instead, the failure
// is reported once when it starts, a write is tried again at most once per retry interval, and the first write that
// succeeds ends the degraded state, reported once with how many lines were lost. No timers: the retry happens on
// the next line after the interval, so an idle process spends nothing.
export interface WriteTarget {
  /** A name for messages: the file's path, or "stdout". */
  readonly name: string;
  /** Writes all of `data` or throws; a throw after part of it was written leaves the target to mend the line. */
  write(data: string): void;
}

export interface DegradedNotice {
  readonly destination: string;
  /** The error's code (ENOSPC, EFBIG, EPIPE, ...) or its name. */
  readonly code: string;
  readonly message: string;
}

export interface RecoveredNotice {
  readonly destination: string;
  /** Lines dropped while the destination could not be written. */
  readonly dropped: number;
  readonly degradedForMs: number;
}

export interface DegradableWriterOptions {
  /** How often a failing destination is tried again (default 1 s). */
  readonly retryIntervalMs?: number;
  readonly now?: () => number;
  readonly onDegraded?: (notice: DegradedNotice) => void;
  readonly onRecovered?: (notice: RecoveredNotice) => void;
}

export const DEFAULT_RETRY_INTERVAL_MS = 1_000;

export class DegradableWriter {
  private degradedSince: number | undefined;
  private nextAttemptAt = 0;
  private droppedNow = 0;
  private droppedInAll = 0;
  private readonly retryIntervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly target: WriteTarget,
    private readonly options: DegradableWriterOptions = {},
  ) {
    this.retryIntervalMs = options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS;
    this.now = options.now ?? Date.now;
  }

  get degraded(): boolean {
    return this.degradedSince !== undefined;
  }

  /** Lines dropped since the destination last failed (0 when it works). */
  get dropped(): number {
    return this.droppedNow;
  }

  /** Lines dropped over the writer's life. */
  get droppedTotal(): number {
    return this.droppedInAll;
  }

  /** pino destination: writes the line, or drops and counts it. Never throws. Returns whether it was written. */
  write(data: string): boolean {
    const now = this.now();
    if (this.degradedSince !== undefined && now < this.nextAttemptAt) return this.drop();
    try {
      this.target.write(data);
    } catch (error) {
      this.nextAttemptAt = now + this.retryIntervalMs;
      if (this.degradedSince === undefined) {
        this.degradedSince = now;
        this.report(() =>
          this.options.onDegraded?.({ destination: this.target.name, code: errorCode(error), message: (error as Error).message ?? String(error) }),
        );
      }
      return this.drop();
    }
    if (this.degradedSince !== undefined) {
      const notice: RecoveredNotice = { destination: this.target.name, dropped: this.droppedNow, degradedForMs: now - this.degradedSince };
      this.degradedSince = undefined;
      this.droppedNow = 0;
      this.report(() => this.options.onRecovered?.(notice));
    }
    return true;
  }

  private drop(): false {
    this.droppedNow++;
    this.droppedInAll++;
    return false;
  }

  private report(notify: () => void): void {
    // A notice is usually logged through the logger that is calling this write: a listener's failure must not
    // become the logger's.
    try {
      notify();
    } catch {
      // nothing sensible to do with a failing notice
    }
  }
}

export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'ERROR';
}
