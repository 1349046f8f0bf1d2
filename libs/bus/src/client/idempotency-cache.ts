// A retried request carries the idempotency key of the first attempt; the responder answers it from here instead
// of applying it twice. Only successful results are kept (a failure may be transient, so a retry runs again);
// entries expire after a TTL and the oldest go first when the cache is full.
export class IdempotencyCache<T> {
  private readonly entries = new Map<string, { readonly result: Promise<T>; readonly expiresAt: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly ttlMs = 10 * 60_000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The result for `key`: computed once, shared with concurrent and later repeats until it expires. */
  run(key: string, compute: () => Promise<T>, now = Date.now()): { result: Promise<T>; replayed: boolean } {
    const existing = this.entries.get(key);
    if (existing && existing.expiresAt > now) return { result: existing.result, replayed: true };
    if (existing) this.entries.delete(key);
    const result = compute();
    this.entries.set(key, { result, expiresAt: now + this.ttlMs });
    result.catch(() => this.entries.delete(key));
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return { result, replayed: false };
  }
}
