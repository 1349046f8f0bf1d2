// When a task runs: a cron expression (croner: optional seconds, IANA time zones, DST handled) or a fixed interval.
// Occurrences are computed, never counted down, so a suspended laptop or a restart finds the right next one.
import { Cron } from 'croner';

export type TaskSchedule =
  { readonly kind: 'cron'; readonly expression: string; readonly timeZone: string } | { readonly kind: 'interval'; readonly intervalMs: number };

/** The shortest interval: each occurrence is a storage write (next run time, history), so not faster than this. */
export const MIN_INTERVAL_MS = 1_000;
/** Counting missed occurrences stops here; the number is for a log line and a history entry. */
const MAX_COUNTED = 10_000;

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const EVERY = /^every\s+(\d+)\s*(ms|s|m|h|d)$/;

export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

const cronCache = new Map<string, Cron>();

/** A croner job used only to evaluate times (no callback, so it never starts a timer). */
function cronOf(schedule: Extract<TaskSchedule, { kind: 'cron' }>): Cron {
  const key = `${schedule.timeZone}\u0000${schedule.expression}`;
  let cron = cronCache.get(key);
  if (!cron) {
    cron = new Cron(schedule.expression, { mode: '5-or-6-parts', ...(schedule.timeZone ? { timezone: schedule.timeZone } : {}) });
    if (cronCache.size > 1_000) cronCache.clear();
    cronCache.set(key, cron);
  }
  return cron;
}

/** Throws a ScheduleError that says what is wrong with the schedule. */
export function checkSchedule(schedule: TaskSchedule): void {
  if (schedule.kind === 'interval') {
    if (!Number.isSafeInteger(schedule.intervalMs) || schedule.intervalMs < MIN_INTERVAL_MS) {
      throw new ScheduleError(`An interval must be a whole number of milliseconds, at least ${MIN_INTERVAL_MS}; got ${schedule.intervalMs}.`);
    }
    return;
  }
  if (schedule.timeZone && !isTimeZone(schedule.timeZone)) {
    throw new ScheduleError(`"${schedule.timeZone}" is not an IANA time zone (e.g. "Europe/Berlin", "UTC").`);
  }
  let next: Date | null;
  try {
    next = cronOf(schedule).nextRun();
  } catch (error) {
    throw new ScheduleError(`The cron expression "${schedule.expression}" is not valid: ${(error as Error).message}`);
  }
  if (!next) throw new ScheduleError(`The cron expression "${schedule.expression}" never fires.`);
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** `every 30s` / `every 500ms` / `every 2h` → an interval; anything else is a cron expression in `timeZone`. */
export function parseSchedule(text: string, timeZone = ''): TaskSchedule {
  const every = EVERY.exec(text.trim());
  const schedule: TaskSchedule = every
    ? { kind: 'interval', intervalMs: Number(every[1]) * UNITS[every[2]!]! }
    : { kind: 'cron', expression: text.trim(), timeZone };
  checkSchedule(schedule);
  return schedule;
}

export function describeSchedule(schedule: TaskSchedule): string {
  if (schedule.kind === 'cron') return schedule.timeZone ? `cron ${schedule.expression} (${schedule.timeZone})` : `cron ${schedule.expression}`;
  const ms = schedule.intervalMs;
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms % size === 0) return `every ${ms / size}${unit}`;
  }
  return `every ${ms}ms`;
}

export function sameSchedule(a: TaskSchedule, b: TaskSchedule): boolean {
  return describeSchedule(a) === describeSchedule(b);
}

/**
 * The first occurrence strictly after `now`. An interval keeps the phase of `anchor` (its previous occurrence), so a
 * late timer does not shift every later run; a cron expression has its own grid.
 */
export function nextOccurrence(schedule: TaskSchedule, now: number, anchor = now): number {
  if (schedule.kind === 'interval') {
    const steps = anchor > now ? 0 : Math.floor((now - anchor) / schedule.intervalMs) + 1;
    return anchor + steps * schedule.intervalMs;
  }
  const next = cronOf(schedule).nextRun(new Date(now));
  if (!next) throw new ScheduleError(`The cron expression "${schedule.expression}" has no occurrence after ${new Date(now).toISOString()}.`);
  return next.getTime();
}

/** How many occurrences fall in [from, to] (at most MAX_COUNTED). `from` is itself an occurrence. */
export function countOccurrences(schedule: TaskSchedule, from: number, to: number): number {
  if (to < from) return 0;
  if (schedule.kind === 'interval') return Math.min(MAX_COUNTED, Math.floor((to - from) / schedule.intervalMs) + 1);
  let count = 1;
  for (let at = from; count < MAX_COUNTED; count++) {
    at = nextOccurrence(schedule, at);
    if (at > to) break;
  }
  return count;
}
