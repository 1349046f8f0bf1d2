// What every `aico doctor` check answers: a name scripts can match, ok / warn / fail, what was found, and for
// anything short of ok the next thing to do.
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  /** Stable kebab-case id (`data-dir`, `port:gateway`), for `--json` consumers. */
  readonly name: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly fix?: string;
}

export function checkResult(name: string, status: CheckStatus, detail: string, fix?: string): CheckResult {
  return fix === undefined ? { name, status, detail } : { name, status, detail, fix };
}

const SEVERITY: Readonly<Record<CheckStatus, number>> = { ok: 0, warn: 1, fail: 2 };

/** The worse of the statuses: one failing part fails the check. */
export function worst(statuses: readonly CheckStatus[]): CheckStatus {
  return statuses.reduce<CheckStatus>((current, next) => (SEVERITY[next] > SEVERITY[current] ? next : current), 'ok');
}

/** A path as it can be pasted into a POSIX shell (data directories on macOS contain a space). */
export function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

/** `code` of a Node system error (`EADDRINUSE`, `ENOENT`), or the message when there is none. */
export function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message ?? String(error);
}
