// A logger for tests whose JSON lines are kept for assertions (what was logged, and that no secret was).
import type { Logger } from 'pino';
import { createStreamLogger } from '../logger.factory';

export interface CapturedLog {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A pino logger whose JSON lines land in `lines`. */
export function captureLogger(service = 'test'): { logger: Logger; lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  // pino calls write() synchronously: a line is in `lines` as soon as the log call returns.
  const destination = { write: (line: string) => void lines.push(JSON.parse(line) as CapturedLog) };
  return { logger: createStreamLogger({ service, level: 'debug' }, destination), lines };
}
