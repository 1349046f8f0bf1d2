// When to restart a crashed app (like PM2's exponential backoff): the first delay, doubled per crash up to a cap; a
// run that lasted `stableAfterMs` starts the delays over. The supervisor gives up on an app only when it crashes in
// a loop before it ever became ready: that is a configuration or start-up failure that restarting cannot fix. An
// app that was ready once is always restarted (with the capped delay): its crashes may come from outside (the
// gateway parses what any client sends), and giving up would turn repeatable bad input into a permanent outage.
export interface RestartPolicyOptions {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly stableAfterMs: number;
  /** Crashes in a row, before the app was ever ready, after which it is not restarted. */
  readonly maxCrashesInARow: number;
}

export interface CrashReport {
  /** How long the run that crashed lasted. */
  readonly ranForMs: number;
  /** `exit code 1`, `signal SIGKILL`. */
  readonly exit: string;
  /** Whether the app announced it was ready at least once since the supervisor started it. */
  readonly everReady: boolean;
}

export type RestartDecision =
  | { readonly restart: true; readonly delayMs: number; readonly crashesInARow: number; readonly status: string }
  | { readonly restart: false; readonly crashesInARow: number; readonly reason: string };

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(1))} s`;

export class RestartPolicy {
  private crashesInARow = 0;

  constructor(private readonly options: RestartPolicyOptions) {}

  afterCrash(app: string, crash: CrashReport): RestartDecision {
    if (crash.ranForMs >= this.options.stableAfterMs) this.crashesInARow = 0;
    this.crashesInARow++;
    const times = this.crashesInARow === 1 ? 'once' : `${this.crashesInARow} times in a row`;
    if (!crash.everReady && this.crashesInARow > this.options.maxCrashesInARow) {
      return {
        restart: false,
        crashesInARow: this.crashesInARow,
        reason: `${app} crashed ${times} before it ever became ready (last: ${crash.exit}): a configuration or start-up failure; not restarting it. Fix the cause (see its console log), then restart aico.`,
      };
    }
    const delayMs = Math.min(this.options.initialDelayMs * 2 ** Math.min(this.crashesInARow - 1, 52), this.options.maxDelayMs);
    return { restart: true, delayMs, crashesInARow: this.crashesInARow, status: `crashed ${times} (last: ${crash.exit}); restarting in ${seconds(delayMs)}` };
  }
}
