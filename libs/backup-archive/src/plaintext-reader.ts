// Pulls the decrypted archive a requested number of bytes at a time, so the reader can take the prefix, the
// manifest and each entry in turn from one stream. Errors of the encrypted file become BackupArchiveErrors here.
import { type Readable } from 'node:stream';
import { toBackupArchiveError } from './backup-archive.error';

export class PlaintextReader {
  readonly #iterator: AsyncIterator<unknown>;
  #buffered: Buffer = Buffer.alloc(0);
  #ended = false;

  constructor(
    stream: Readable,
    private readonly archive: string,
  ) {
    this.#iterator = stream[Symbol.asyncIterator]();
  }

  /** Up to `max` bytes (more than zero), or undefined once the plaintext has ended and authenticated. */
  async next(max: number): Promise<Buffer | undefined> {
    while (this.#buffered.length === 0) {
      if (!(await this.#pull())) return undefined;
    }
    const piece = this.#buffered.subarray(0, max);
    this.#buffered = this.#buffered.subarray(piece.length);
    return piece;
  }

  /** `size` bytes, or fewer if the plaintext ends first. */
  async read(size: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let length = 0;
    while (length < size) {
      const piece = await this.next(size - length);
      if (!piece) break;
      parts.push(piece);
      length += piece.length;
    }
    return Buffer.concat(parts, length);
  }

  /** Whether the plaintext ends here. Reaching the end authenticates the encrypted file's final chunk. */
  async atEnd(): Promise<boolean> {
    return this.#buffered.length === 0 && !(await this.#pull());
  }

  /** Stops reading early (destroys the decrypting stream and closes the file). */
  async close(): Promise<void> {
    await this.#iterator.return?.().catch(() => undefined);
  }

  async #pull(): Promise<boolean> {
    if (this.#ended) return false;
    let result: IteratorResult<unknown>;
    try {
      result = await this.#iterator.next();
    } catch (error) {
      throw toBackupArchiveError(error, this.archive);
    }
    if (result.done) {
      this.#ended = true;
      return false;
    }
    this.#buffered = result.value as Buffer;
    return true;
  }
}
