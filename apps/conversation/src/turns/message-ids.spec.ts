import { newMessageId } from './message-ids';

describe('newMessageId', () => {
  it('gives ids that sort in the order they were made, also many within one millisecond (a message and its reply)', () => {
    const now = Date.now();
    const ids = Array.from({ length: 500 }, () => newMessageId(now));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps the order when the clock steps back', () => {
    const first = newMessageId(Date.now() + 10_000);
    const second = newMessageId(Date.now());
    expect(second > first).toBe(true);
  });

  it('is a UUIDv7', () => {
    expect(newMessageId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
