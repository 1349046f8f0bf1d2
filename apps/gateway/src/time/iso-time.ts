// The one conversion between the bus's protobuf Timestamps and the REST/WebSocket API's ISO 8601 strings: every
// answer and frame that carries a time goes through here, so all of them say it the same way (UTC, milliseconds).
import { timestampFromMs, timestampMs, type Timestamp } from '@bufbuild/protobuf/wkt';

/** A stamped time as the API writes it. */
export const isoTime = (timestamp: Timestamp): string => new Date(timestampMs(timestamp)).toISOString();

/** A time the gateway itself keeps in milliseconds (a token's expiry, the moment a frame is made). */
export const isoTimeOfMs = (ms: number): string => new Date(ms).toISOString();

/** A time that may be unset (a record from before the field existed): null then, as the API's schemas say. */
export const isoTimeOrNull = (timestamp: Timestamp | undefined): string | null => (timestamp ? isoTime(timestamp) : null);

/** A time the API received (a validated ISO 8601 string) for a bus request. */
export const timestampOfIso = (iso: string): Timestamp => timestampFromMs(Date.parse(iso));

/** Milliseconds since the epoch, an unset time as the oldest: for sorting records by when they were stamped. */
export const msOrZero = (timestamp: Timestamp | undefined): number => (timestamp ? timestampMs(timestamp) : 0);
