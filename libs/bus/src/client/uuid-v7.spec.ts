import { uuidv7 } from './uuid-v7';

describe('uuidv7', () => {
  it('has the RFC 9562 layout: version 7, variant 10, the millisecond timestamp first', () => {
    const now = Date.UTC(2026, 10, 26, 12, 0, 0, 123);
    const id = uuidv7(now);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(now);
  });

  it('sorts by creation time and does not repeat', () => {
    const ids = Array.from({ length: 5_000 }, (_, i) => uuidv7(1_700_000_000_000 + i));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(Array.from({ length: 5_000 }, () => uuidv7())).size).toBe(5_000);
  });
});
