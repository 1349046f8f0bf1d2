// Collects stream input and hands it out in chunks of one size, keeping the last chunk back until the input ends
// (the final chunk is sealed with the last-chunk flag, so it must not go out early).
export class ChunkBuffer {
  private parts: Buffer[] = [];
  private bytes = 0;

  get length(): number {
    return this.bytes;
  }

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.parts.push(data);
    this.bytes += data.length;
  }

  /** Removes and returns the first `size` bytes (at most what there is). */
  take(size: number): Buffer {
    const first = this.parts[0];
    if (first && first.length >= size) {
      // The common case (writes of the chunk size or more) needs no copy.
      const taken = first.subarray(0, size);
      if (first.length === size) this.parts.shift();
      else this.parts[0] = first.subarray(size);
      this.bytes -= taken.length;
      return taken;
    }
    const all = Buffer.concat(this.parts);
    const taken = all.subarray(0, size);
    this.parts = all.length > size ? [all.subarray(size)] : [];
    this.bytes -= taken.length;
    return taken;
  }
}
