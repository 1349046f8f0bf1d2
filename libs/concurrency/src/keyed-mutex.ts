// Runs async work one at a time per key (an account, a session, a thread), in arrival order; different keys run side
// by side. Within one process this makes "read, decide, write back" atomic for a key (the gateway's login counters,
// the conversation app's thread and memory writes); storage's compare-and-set catches any writer outside it.
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  /** Calls `task` once every earlier task of `key` has settled; resolves or rejects with its result. */
  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => done);
    this.tails.set(key, tail);
    await previous;
    try {
      return await task();
    } finally {
      release();
      // The last in line removes the key, so the map holds only keys with work pending.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Keys with work running or waiting (for tests and leak checks). */
  get size(): number {
    return this.tails.size;
  }
}
