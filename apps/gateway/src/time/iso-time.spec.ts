// The one time conversion of the gateway: protobuf Timestamps to the API's ISO strings and back, unset as null.
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { isoTime, isoTimeOrNull, msOrZero, timestampOfIso } from './iso-time';

describe('iso-time', () => {
  it('writes a Timestamp as ISO 8601 in UTC with milliseconds, and reads it back to the same instant', () => {
    const stamped = timestampFromMs(Date.UTC(2026, 11, 7, 6, 30, 1, 234));
    expect(isoTime(stamped)).toBe('2026-12-07T06:30:01.234Z');
    expect(timestampOfIso('2026-12-07T06:30:01.234Z')).toEqual(stamped);
  });

  it('says null for an unset time, and sorts it first', () => {
    expect(isoTimeOrNull(undefined)).toBeNull();
    expect(isoTimeOrNull(timestampFromMs(0))).toBe('1970-01-01T00:00:00.000Z');
    expect(msOrZero(undefined)).toBe(0);
    expect(msOrZero(timestampFromMs(5_000))).toBe(5_000);
  });
});
