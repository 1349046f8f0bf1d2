// The consumer's side of a numbered stream (`conversation.reply.delta`: sequence 1, 2, 3, … per reply, without gaps):
// pieces may arrive out of order (a reconnect, a relay, an event that overtakes the answer that started the reply), so
// a receiver holds the early ones and releases them in sequence order, each once. Pure (no I/O, no clock): the web
// client and the CLI both put replies back in order with it.

/** A sequence number as it arrives: a bigint from protobuf, a string from protobuf's JSON (uint64), or a number. */
export type SequenceNumber = bigint | number | string;

export class SequenceReorderBuffer<T> {
  private next = 1n;
  private readonly early = new Map<bigint, T>();

  /**
   * Takes the piece numbered `sequence`; answers the pieces now in order (none when it came early, when it is a
   * repeat or already passed, or when `sequence` is not a positive whole number).
   */
  push(sequence: SequenceNumber, piece: T): T[] {
    const at = toSequence(sequence);
    if (at === undefined || at < this.next || this.early.has(at)) return [];
    this.early.set(at, piece);
    const ready: T[] = [];
    for (let piece = this.early.get(this.next); piece !== undefined; piece = this.early.get(this.next)) {
      this.early.delete(this.next);
      this.next++;
      ready.push(piece);
    }
    return ready;
  }

  /** The last sequence number released in order (0 before the first). */
  get through(): bigint {
    return this.next - 1n;
  }

  /** Pieces held because an earlier one is missing. */
  get held(): number {
    return this.early.size;
  }

  /** Drops the held pieces (the stream has ended: what they carried comes another way). */
  clear(): void {
    this.early.clear();
  }
}

function toSequence(sequence: SequenceNumber): bigint | undefined {
  if (typeof sequence === 'bigint') return sequence > 0n ? sequence : undefined;
  if (typeof sequence === 'number') return Number.isSafeInteger(sequence) && sequence > 0 ? BigInt(sequence) : undefined;
  return /^[1-9][0-9]*$/.test(sequence) ? BigInt(sequence) : undefined;
}
