// EncryptedFile: the `fs`-style way to keep files encrypted at rest. Writes are atomic (a temporary file in the same
// directory, fsync, rename, fsync of the directory), so a crash leaves the old file or the new one, never half of
// one. Reads authenticate each chunk before releasing it.
import { randomBytes } from 'node:crypto';
import { createReadStream as createFileReadStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DecryptingStream, EncryptingStream, type EncryptOptions } from './encrypted-file.streams';
import { TAG_BYTES } from './encrypted-file.format';

/** fsyncs a directory, which makes entries just created or renamed in it durable. */
export async function syncDirectory(directory: string): Promise<void> {
  // Makes a rename or a new entry itself durable. Windows cannot open a directory for fsync; NTFS journals the rename.
  if (process.platform === 'win32') return;
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The file key in use, and older versions that files written before a rotation still need. */
export interface FileKeys {
  readonly current: Uint8Array;
  readonly previous?: readonly Uint8Array[];
}

export class EncryptedFile {
  readonly #key: Buffer;
  readonly #readKeys: readonly Buffer[];

  /** `fileKey`: the 32-byte file key (the key manager's purpose key `file`), or the current and previous versions. */
  constructor(
    fileKey: Uint8Array | FileKeys,
    private readonly options: EncryptOptions = {},
  ) {
    const keys = fileKey instanceof Uint8Array ? { current: fileKey } : fileKey;
    for (const key of [keys.current, ...(keys.previous ?? [])]) {
      if (key.length !== 32) throw new RangeError(`An encrypted-file key is 32 bytes, got ${key.length}.`);
    }
    this.#key = Buffer.from(keys.current);
    this.#readKeys = [this.#key, ...(keys.previous ?? []).map((key) => Buffer.from(key))];
  }

  /** Encrypts `source` into `path`, replacing it atomically once everything is on disk. */
  async writeStream(path: string, source: Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
    const handle = await open(temporary, 'wx', 0o600);
    let committed = false;
    try {
      // A sink on the open handle (not fs.createWriteStream) so the handle stays ours to fsync and close.
      const sink = new Writable({
        write: (chunk: Buffer, _encoding, callback) => void handle.write(chunk).then(() => callback(), callback),
        writev: (chunks, callback) => void handle.writev(chunks.map(({ chunk }) => chunk as Buffer)).then(() => callback(), callback),
      });
      await pipeline(source, new EncryptingStream(this.#key, this.options), sink);
      await handle.sync();
      await handle.close();
      await rename(temporary, path);
      committed = true;
      await syncDirectory(dirname(path));
    } finally {
      if (!committed) {
        await handle.close().catch(() => undefined);
        await unlink(temporary).catch(() => undefined);
      }
    }
  }

  writeFile(path: string, data: Uint8Array | string): Promise<void> {
    return this.writeStream(path, [typeof data === 'string' ? Buffer.from(data, 'utf8') : data]);
  }

  /** A stream of the plaintext of `path`; it errors (EncryptedFileError) at the first chunk that fails. */
  createReadStream(path: string): Readable {
    const decrypt = new DecryptingStream(this.#readKeys);
    // Reads a sealed chunk at a time, so each is decrypted from one buffer.
    const file = createFileReadStream(path, { highWaterMark: 2 ** (this.options.chunkSizeLog2 ?? 16) + TAG_BYTES });
    pipeline(file, decrypt).catch(() => undefined); // errors surface on `decrypt`, which the caller holds
    return decrypt;
  }

  async readFile(path: string): Promise<Buffer>;
  async readFile(path: string, encoding: BufferEncoding): Promise<string>;
  async readFile(path: string, encoding?: BufferEncoding): Promise<Buffer | string> {
    const parts: Buffer[] = [];
    await pipeline(
      this.createReadStream(path),
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          parts.push(chunk);
          callback();
        },
      }),
    );
    const data = Buffer.concat(parts);
    return encoding ? data.toString(encoding) : data;
  }

  /** In-memory encryption, for small values kept elsewhere (a database blob, a keychain entry). */
  async encrypt(data: Uint8Array): Promise<Buffer> {
    return collect(Readable.from([Buffer.from(data)]).pipe(new EncryptingStream(this.#key, this.options)));
  }

  async decrypt(data: Uint8Array): Promise<Buffer> {
    const decrypt = new DecryptingStream(this.#readKeys);
    const done = collect(decrypt);
    decrypt.end(Buffer.from(data));
    return done;
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}
