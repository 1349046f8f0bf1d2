// When to restart a crashed app (like PM2's exponential backoff): the first delay, doubled per crash up to a cap;
// a run that lasted `stableAfterMs` starts the delays over; too many crashes in a row without one means a crash
// loop, and the supervisor gives up on the app with a message that says so.
export interface RestartPolicyOptions {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly stableAfterMs: number;
  readonly maxCrashesInARow: number;
}

export type RestartDecision = { readonly restart: true; readonly delayMs: number; readonly crashesInARow: number } | { readonly restart: false; readonly crashesInARow: number; readonly reason: string };

export class RestartPolicy {
  private crashesInARow = 0;

  constructor(private readonly options: RestartPolicyOptions) {}

  /** The decision after a crash of a run that lasted `ranForMs`. */
  afterCrash(app: string, ranForMs: number, exit: string): RestartDecision {
    if (ranForMs >= this.options.stableAfterMs) this.crashesInARow = 0;
    this.crashesInARow++;
    if (this.crashesInARow > this.options.maxCrashesInARow) {
      return {
        restart: false,
        crashesInARow: this.crashesInARow,
        reason: `${app} crashed ${this.crashesInARow} times in a row without staying up ${Math.round(this.options.stableAfterMs / 1000)} s (last: ${exit}); not restarting it. Fix the cause (see its console log), then restart aico.`,
      };
    }
    const delayMs = Math.min(this.options.initialDelayMs * 2 ** (this.crashesInARow - 1), this.options.maxDelayMs);
    return { restart: true, delayMs, crashesInARow: this.crashesInARow };
  }
}
