// What a task does when it runs: one attempt, which resolves on success and rejects with why it failed. Registered
// tasks send their topic; built-in tasks are functions of the scheduler (that also work only through the bus).

export interface AttemptContext {
  readonly runId: string;
  readonly attempt: number;
  /** The attempt's deadline; `signal` aborts when it passes (or the scheduler stops). */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
}

export type TaskAction = (context: AttemptContext) => Promise<void>;

/**
 * The bus deadline of a request an attempt makes. The attempt's own deadline (on the scheduler's clock) decides; the
 * bus's is a backstop a little later, so a request is never cut short first by a second, slightly earlier timer.
 */
export function requestTimeoutMs(context: Pick<AttemptContext, 'timeoutMs'>): number {
  return context.timeoutMs + 5_000;
}
