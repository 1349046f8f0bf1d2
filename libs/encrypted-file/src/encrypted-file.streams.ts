// Node streams over the encrypted-file format: EncryptingStream turns plaintext into the file's bytes,
// DecryptingStream turns the file's bytes back into plaintext, releasing each chunk only after it authenticated.
import { Transform, type TransformCallback } from 'node:stream';
import { ChunkBuffer } from './chunk-buffer';
import { EncryptedFileError, EncryptedFileErrorCode } from './encrypted-file.error';
import { createHeader, HEADER_BYTES, MAGIC, openHeader, TAG_BYTES, type ChunkCipher } from './encrypted-file.format';

export interface EncryptOptions {
  /** log2 of the plaintext chunk size; 16 (64 KiB) by default. */
  readonly chunkSizeLog2?: number;
}

export class EncryptingStream extends Transform {
  private readonly cipher: ChunkCipher;
  private readonly input = new ChunkBuffer();
  private counter = 0;

  constructor(fileKey: Uint8Array, options: EncryptOptions = {}) {
    super();
    const { header, cipher } = createHeader(fileKey, options.chunkSizeLog2);
    this.cipher = cipher;
    this.push(header);
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.input.push(data);
    // Strictly more than one chunk: the last full chunk may be the final one.
    while (this.input.length > this.cipher.chunkSize) this.sealNext(false);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    this.sealNext(true);
    callback();
  }

  private sealNext(last: boolean): void {
    const [body, tag] = this.cipher.seal(this.input.take(this.cipher.chunkSize), this.counter++, last);
    this.push(body);
    this.push(tag);
  }
}

export class DecryptingStream extends Transform {
  private cipher: ChunkCipher | undefined;
  private readonly input = new ChunkBuffer();
  private counter = 0;
  private readonly fileKeys: readonly Uint8Array[];

  /** `fileKeys`: the current file key, then any older versions still to be read after a rotation. */
  constructor(fileKeys: Uint8Array | readonly Uint8Array[]) {
    super();
    this.fileKeys = fileKeys instanceof Uint8Array ? [fileKeys] : fileKeys;
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.input.push(data);
    try {
      if (!this.cipher) {
        if (this.input.length < HEADER_BYTES) return callback(this.checkMagicEarly());
        this.cipher = openHeader(this.fileKeys, this.input.take(HEADER_BYTES));
      }
      const sealedSize = this.cipher.chunkSize + TAG_BYTES;
      // Strictly more than one sealed chunk: only then is the next one known not to be the final one.
      while (this.input.length > sealedSize) this.push(this.cipher.open(this.input.take(sealedSize), this.counter++, false));
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.cipher ??= openHeader(this.fileKeys, this.input.take(this.input.length));
      if (this.input.length === 0) {
        throw new EncryptedFileError(
          EncryptedFileErrorCode.Truncated,
          `The encrypted file ends after ${this.counter} chunk(s) without its final chunk: the file is truncated.`,
        );
      }
      this.push(this.cipher.open(this.input.take(this.input.length), this.counter++, true));
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  /** A foreign file is refused as soon as its first bytes are seen, not after the whole header arrived. */
  private checkMagicEarly(): Error | null {
    if (this.input.length < MAGIC.length) return null;
    const start = this.input.take(this.input.length);
    this.input.push(start);
    return start.subarray(0, MAGIC.length).equals(MAGIC)
      ? null
      : new EncryptedFileError(EncryptedFileErrorCode.NotEncryptedFile, 'This is not an aico encrypted file (its first bytes are not the aico header).');
  }
}
