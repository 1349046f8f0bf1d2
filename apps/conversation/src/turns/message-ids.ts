// Ids of threads and messages: UUIDv7 (time first), so storage's id order is the order they were written. Within
// one millisecond UUIDv7's random bits would order two ids by chance (a user's message and the reply to it are
// made together): each id here takes a later millisecond than the one before, which keeps them in order.
import { uuidv7 } from '@aico/bus';

let lastMs = 0;

export function newMessageId(now: number = Date.now()): string {
  lastMs = Math.max(now, lastMs + 1);
  return uuidv7(lastMs);
}
