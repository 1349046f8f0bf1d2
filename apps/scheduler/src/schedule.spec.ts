import { countOccurrences, describeSchedule, nextOccurrence, parseSchedule, ScheduleError } from './schedule';

const at = (iso: string) => new Date(iso).getTime();
const iso = (ms: number) => new Date(ms).toISOString();

describe('schedules', () => {
  it('reads "every <n><unit>" as an interval and anything else as cron, and describes both', () => {
    expect(parseSchedule('every 90s')).toEqual({ kind: 'interval', intervalMs: 90_000 });
    expect(parseSchedule('every 2h')).toEqual({ kind: 'interval', intervalMs: 7_200_000 });
    expect(parseSchedule('0 30 3 * * *', 'Europe/Berlin')).toEqual({ kind: 'cron', expression: '0 30 3 * * *', timeZone: 'Europe/Berlin' });
    expect(describeSchedule({ kind: 'interval', intervalMs: 90_000 })).toBe('every 90s');
    expect(describeSchedule({ kind: 'interval', intervalMs: 1_500 })).toBe('every 1500ms');
    expect(describeSchedule({ kind: 'cron', expression: '*/5 * * * *', timeZone: 'UTC' })).toBe('cron */5 * * * * (UTC)');
  });

  it('refuses what would never run as meant', () => {
    expect(() => parseSchedule('every 10ms')).toThrow(ScheduleError);
    expect(() => parseSchedule('every 10ms')).toThrow('at least 1000');
    expect(() => parseSchedule('not a cron')).toThrow('is not valid');
    expect(() => parseSchedule('1 2 3 4 5 6 2020')).toThrow('is not valid'); // 7 fields (years) are not accepted
    expect(() => parseSchedule('0 3 * * *', 'Nowhere/Special')).toThrow('not an IANA time zone');
  });

  it('honours seconds in cron expressions', () => {
    const schedule = parseSchedule('*/15 * * * * *');
    expect(iso(nextOccurrence(schedule, at('2026-01-01T00:00:07.500Z')))).toBe('2026-01-01T00:00:15.000Z');
    expect(iso(nextOccurrence(schedule, at('2026-01-01T00:00:15.000Z')))).toBe('2026-01-01T00:00:30.000Z'); // strictly after
  });

  it('runs a daily 02:30 Berlin task once on each DST change: after the gap in spring, once in the repeated hour in autumn', () => {
    const schedule = parseSchedule('0 30 2 * * *', 'Europe/Berlin');
    // 29 March 2026: 02:00 CET jumps to 03:00 CEST, so 02:30 does not exist; it runs at the first valid time.
    expect(iso(nextOccurrence(schedule, at('2026-03-28T12:00:00Z')))).toBe('2026-03-29T01:00:00.000Z');
    expect(iso(nextOccurrence(schedule, at('2026-03-29T01:00:00Z')))).toBe('2026-03-30T00:30:00.000Z');
    // 25 October 2026: 02:00-03:00 happens twice; it runs on the first only.
    const first = nextOccurrence(schedule, at('2026-10-24T12:00:00Z'));
    expect(iso(first)).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(nextOccurrence(schedule, first))).toBe('2026-10-26T01:30:00.000Z');
  });

  it('keeps an interval on its grid after a late timer, and counts missed occurrences', () => {
    const hourly = { kind: 'interval', intervalMs: 3_600_000 } as const;
    const anchor = at('2026-01-01T10:00:00Z');
    expect(iso(nextOccurrence(hourly, anchor, anchor))).toBe('2026-01-01T11:00:00.000Z');
    expect(iso(nextOccurrence(hourly, at('2026-01-01T13:20:00Z'), anchor))).toBe('2026-01-01T14:00:00.000Z');
    expect(iso(nextOccurrence(hourly, at('2026-01-01T09:00:00Z'), anchor))).toBe('2026-01-01T10:00:00.000Z'); // anchor still ahead
    expect(countOccurrences(hourly, anchor, at('2026-01-01T13:20:00Z'))).toBe(4); // 10, 11, 12, 13 o'clock
    expect(countOccurrences(parseSchedule('0 0 * * *', 'UTC'), at('2026-01-01T00:00:00Z'), at('2026-01-03T12:00:00Z'))).toBe(3);
    expect(countOccurrences(hourly, anchor, anchor - 1)).toBe(0);
  });
});
