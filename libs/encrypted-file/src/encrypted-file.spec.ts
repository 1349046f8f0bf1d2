import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { EncryptedFile } from './encrypted-file';
import { EncryptedFileErrorCode } from './encrypted-file.error';
import { HEADER_BYTES, TAG_BYTES } from './encrypted-file.format';

const CHUNK = 1024; // chunkSizeLog2 10: many chunks from small test data
const SEALED = CHUNK + TAG_BYTES;

describe('EncryptedFile', () => {
  let dir: string;
  const key = randomBytes(32);
  const files = new EncryptedFile(key, { chunkSizeLog2: 10 });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aico-ef-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** Reads `path` as a stream, returning what was released before the error. */
  async function readReleased(path: string, reader = files): Promise<{ released: Buffer; error: unknown }> {
    const parts: Buffer[] = [];
    try {
      for await (const part of reader.createReadStream(path)) parts.push(part as Buffer);
      return { released: Buffer.concat(parts), error: undefined };
    } catch (error) {
      return { released: Buffer.concat(parts), error };
    }
  }

  it.each([0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 5 * CHUNK, 5 * CHUNK + 17])('round-trips %i bytes', async (size) => {
    const data = randomBytes(size);
    const path = join(dir, 'f.enc');
    await files.writeFile(path, data);
    const raw = await readFile(path);
    expect(raw.length).toBe(HEADER_BYTES + Math.max(1, Math.ceil(size / CHUNK)) * TAG_BYTES + size);
    if (size >= 16) expect(raw.includes(data.subarray(0, 16))).toBe(false);
    expect(await files.readFile(path)).toEqual(data);
  });

  it('round-trips through streams written in odd pieces, and in memory', async () => {
    const data = randomBytes(10 * CHUNK + 333);
    const pieces = [];
    for (let offset = 0; offset < data.length; offset += 77) pieces.push(data.subarray(offset, offset + 77));
    const path = join(dir, 'pieces.enc');
    await files.writeStream(path, Readable.from(pieces));
    expect(await files.readFile(path)).toEqual(data);
    expect(await files.decrypt(await files.encrypt(data))).toEqual(data);
    expect(await files.readFile(path, 'hex')).toBe(data.toString('hex'));
  });

  it('replaces a file atomically: a failing write leaves the old file and no temporary file', async () => {
    const path = join(dir, 'state.enc');
    await files.writeFile(path, 'old contents');
    async function* failing() {
      yield Buffer.alloc(3 * CHUNK, 1);
      throw new Error('source broke');
    }
    await expect(files.writeStream(path, failing())).rejects.toThrow('source broke');
    expect(await files.readFile(path, 'utf8')).toBe('old contents');
    expect(await readdir(dir)).toEqual(['state.enc']);
  });

  describe('damaged files: a specific error, and no plaintext of a failing chunk', () => {
    const data = randomBytes(6 * CHUNK + 100); // 7 chunks
    let path: string;
    let sealed: Buffer;

    beforeEach(async () => {
      path = join(dir, 'd.enc');
      await files.writeFile(path, data);
      sealed = await readFile(path);
    });

    const chunk = (i: number) => sealed.subarray(HEADER_BYTES + i * SEALED, HEADER_BYTES + (i + 1) * SEALED);
    const header = () => sealed.subarray(0, HEADER_BYTES);
    const rest = (from: number) => sealed.subarray(HEADER_BYTES + from * SEALED);

    async function expectFailure(bytes: Buffer, code: EncryptedFileErrorCode, releasedChunks: number): Promise<void> {
      await writeFile(path, bytes);
      const { released, error } = await readReleased(path);
      expect(error).toMatchObject({ code, name: 'EncryptedFileError' });
      // Only whole, authenticated chunks before the damage were released, and they are the original bytes.
      expect(released).toEqual(data.subarray(0, releasedChunks * CHUNK));
    }

    it('truncated at a chunk boundary', () => expectFailure(sealed.subarray(0, HEADER_BYTES + 3 * SEALED), EncryptedFileErrorCode.Truncated, 2));
    it('truncated to the header alone', () => expectFailure(header(), EncryptedFileErrorCode.Truncated, 0));
    it('truncated inside the header', () => expectFailure(sealed.subarray(0, 20), EncryptedFileErrorCode.Truncated, 0));
    it('truncated inside a chunk (indistinguishable from damage to that chunk)', () =>
      expectFailure(sealed.subarray(0, HEADER_BYTES + 2 * SEALED + 500), EncryptedFileErrorCode.ChunkCorrupted, 2));
    it('a dropped chunk', () => expectFailure(Buffer.concat([header(), chunk(0), chunk(2), rest(3)]), EncryptedFileErrorCode.ChunkOutOfOrder, 1));
    it('reordered chunks', () => expectFailure(Buffer.concat([header(), chunk(0), chunk(2), chunk(1), rest(3)]), EncryptedFileErrorCode.ChunkOutOfOrder, 1));
    it('a duplicated chunk', () => expectFailure(Buffer.concat([header(), chunk(0), chunk(1), chunk(1), rest(2)]), EncryptedFileErrorCode.ChunkOutOfOrder, 2));
    it('bytes after the final chunk', async () => {
      const exact = randomBytes(4 * CHUNK);
      await files.writeFile(path, exact);
      const whole = await readFile(path);
      await writeFile(path, Buffer.concat([whole, whole.subarray(whole.length - SEALED)]));
      const { error } = await readReleased(path);
      expect(error).toMatchObject({ code: EncryptedFileErrorCode.TrailingData });
    });

    it('a flipped bit in a chunk', () => {
      const flipped = Buffer.from(sealed);
      flipped[HEADER_BYTES + 4 * SEALED + 10]! ^= 0x01;
      return expectFailure(flipped, EncryptedFileErrorCode.ChunkCorrupted, 4);
    });
    it('a flipped bit in a chunk tag', () => {
      const flipped = Buffer.from(sealed);
      flipped[HEADER_BYTES + SEALED - 1]! ^= 0x80;
      return expectFailure(flipped, EncryptedFileErrorCode.ChunkCorrupted, 0);
    });
    it('a flipped bit in the header salt', () => {
      const flipped = Buffer.from(sealed);
      flipped[30]! ^= 0x04;
      return expectFailure(flipped, EncryptedFileErrorCode.HeaderTampered, 0);
    });
    it('a flipped bit in the header MAC', () => {
      const flipped = Buffer.from(sealed);
      flipped[HEADER_BYTES - 1]! ^= 0x01;
      return expectFailure(flipped, EncryptedFileErrorCode.HeaderTampered, 0);
    });
    it('an unknown format version', () => {
      const changed = Buffer.from(sealed);
      changed[8] = 2;
      return expectFailure(changed, EncryptedFileErrorCode.UnsupportedVersion, 0);
    });
    it('a foreign file', () =>
      expectFailure(
        Buffer.from('just some plain text that is long enough to fill a header, and more and more and more'),
        EncryptedFileErrorCode.NotEncryptedFile,
        0,
      ));
    it('the wrong key', async () => {
      const { released, error } = await readReleased(path, new EncryptedFile(randomBytes(32), { chunkSizeLog2: 10 }));
      expect(error).toMatchObject({ code: EncryptedFileErrorCode.WrongKey });
      expect(released.length).toBe(0);
    });
    it('a missing file is the fs error it is', async () => {
      await expect(files.readFile(join(dir, 'nope.enc'))).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  it('reads files written before a key rotation with the previous key, and writes under the new one', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = join(dir, 'before.enc');
    await new EncryptedFile(oldKey).writeFile(before, 'written under v1');
    const rotated = new EncryptedFile({ current: newKey, previous: [oldKey] });
    expect(await rotated.readFile(before, 'utf8')).toBe('written under v1');
    // Re-keying a file: read with either, write with the current key.
    await rotated.writeFile(before, await rotated.readFile(before));
    expect(await new EncryptedFile(newKey).readFile(before, 'utf8')).toBe('written under v1');
    await expect(new EncryptedFile(oldKey).readFile(before)).rejects.toMatchObject({ code: EncryptedFileErrorCode.WrongKey });
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => new EncryptedFile(randomBytes(16))).toThrow('32 bytes');
  });
});
