// The aico encrypted-file format, version 1 (the age/STREAM construction with AES-256-GCM):
//
//   header  = magic "AICO-EF\0" (8) | version (1) | algorithm (1) | log2 chunk size (1) | reserved (1)
//             | key id (8) | salt (32) | nonce prefix (7) | header MAC (16)                          = 75 bytes
//   body    = chunk* ; chunk = AES-256-GCM(chunk key, nonce, plaintext ≤ chunk size) | tag (16)
//   nonce   = nonce prefix (7) | chunk counter, big-endian (4) | last-chunk flag (1)
//
// chunk key = HKDF(file key, salt, "aico/file/chunk/v1"); header MAC = HMAC-SHA256(HKDF(file key, salt,
// "aico/file/header/v1"), header without MAC) cut to 16 bytes; key id = HMAC-SHA256(file key, "aico/file/key-id/v1")
// cut to 8 bytes. Every chunk is authenticated before any of its plaintext is released; the counter detects
// dropped, reordered and duplicated chunks, the last-chunk flag detects truncation, the MAC a changed header, the
// key id a wrong key. A file holds at least one chunk (an empty file is one empty final chunk).
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { EncryptedFileError, EncryptedFileErrorCode } from './encrypted-file.error';

export const MAGIC = Buffer.from('AICO-EF\0', 'latin1');
export const FORMAT_VERSION = 1;
const ALGORITHM_AES_256_GCM = 1;
export const DEFAULT_CHUNK_SIZE_LOG2 = 16; // 64 KiB
const MIN_CHUNK_SIZE_LOG2 = 10;
const MAX_CHUNK_SIZE_LOG2 = 24;
export const TAG_BYTES = 16;
const KEY_ID_BYTES = 8;
const SALT_BYTES = 32;
const NONCE_PREFIX_BYTES = 7;
const MAC_BYTES = 16;
const MAC_OFFSET = MAGIC.length + 4 + KEY_ID_BYTES + SALT_BYTES + NONCE_PREFIX_BYTES;
export const HEADER_BYTES = MAC_OFFSET + MAC_BYTES;
/** 2^32 chunks of 64 KiB: 256 TiB, far past any file aico writes. */
const MAX_CHUNKS = 0x1_0000_0000;

function hkdf(key: Uint8Array, salt: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', key, salt, Buffer.from(info, 'utf8'), 32));
}

function keyIdOf(fileKey: Uint8Array): Buffer {
  return createHmac('sha256', fileKey).update('aico/file/key-id/v1').digest().subarray(0, KEY_ID_BYTES);
}

function headerMac(fileKey: Uint8Array, salt: Uint8Array, headerWithoutMac: Uint8Array): Buffer {
  return createHmac('sha256', hkdf(fileKey, salt, 'aico/file/header/v1'))
    .update(headerWithoutMac)
    .digest()
    .subarray(0, MAC_BYTES);
}

function assertFileKey(fileKey: Uint8Array): void {
  if (fileKey.length !== 32) throw new RangeError(`An encrypted-file key is 32 bytes, got ${fileKey.length}.`);
}

/** The per-file state both directions share: the chunk key, the nonce under construction and the chunk size. */
export class ChunkCipher {
  readonly chunkSize: number;
  private readonly nonce = Buffer.alloc(12);

  constructor(
    private readonly chunkKey: Buffer,
    noncePrefix: Uint8Array,
    chunkSizeLog2: number,
  ) {
    this.chunkSize = 2 ** chunkSizeLog2;
    this.nonce.set(noncePrefix, 0);
  }

  private nonceFor(counter: number, last: boolean): Buffer {
    if (counter >= MAX_CHUNKS) throw new RangeError('The encrypted file is too large for its chunk counter.');
    this.nonce.writeUInt32BE(counter, NONCE_PREFIX_BYTES);
    this.nonce[11] = last ? 1 : 0;
    return this.nonce;
  }

  /** The sealed chunk as its parts (ciphertext, tag), to be written one after the other without a copy. */
  seal(plaintext: Uint8Array, counter: number, last: boolean): [Buffer, Buffer] {
    const cipher = createCipheriv('aes-256-gcm', this.chunkKey, this.nonceFor(counter, last));
    const body = cipher.update(plaintext);
    cipher.final(); // GCM emits nothing here
    return [body, cipher.getAuthTag()];
  }

  /** The plaintext of an authentic chunk, or undefined: nothing is returned for a chunk that fails. */
  tryOpen(sealed: Uint8Array, counter: number, last: boolean): Buffer | undefined {
    if (sealed.length < TAG_BYTES || counter >= MAX_CHUNKS) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', this.chunkKey, this.nonceFor(counter, last));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const body = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    try {
      decipher.final(); // verifies the tag; GCM emits no further bytes
      return body;
    } catch {
      body.fill(0); // unauthenticated plaintext never leaves
      return undefined;
    }
  }

  /**
   * Opens chunk `counter`, or throws the error that says what is wrong: a chunk that belongs elsewhere in the file
   * (dropped, reordered, duplicated chunks), a final chunk that is not final (truncation), or damage.
   */
  open(sealed: Uint8Array, counter: number, last: boolean): Buffer {
    const plaintext = this.tryOpen(sealed, counter, last);
    if (plaintext) return plaintext;
    if (last && this.tryOpen(sealed, counter, false)) {
      throw new EncryptedFileError(
        EncryptedFileErrorCode.Truncated,
        `The encrypted file ends after chunk ${counter}, which is not its final chunk: the file is truncated.`,
      );
    }
    if (!last && this.tryOpen(sealed, counter, true)) {
      throw new EncryptedFileError(EncryptedFileErrorCode.TrailingData, `The encrypted file continues after its final chunk ${counter}: it has trailing data.`);
    }
    // Only on the failure path: look for the position this chunk was written at.
    const window = 64;
    for (let other = Math.max(0, counter - window); other <= counter + window; other++) {
      if (other === counter) continue;
      if (this.tryOpen(sealed, other, false) || this.tryOpen(sealed, other, true)) {
        throw new EncryptedFileError(
          EncryptedFileErrorCode.ChunkOutOfOrder,
          `Chunk ${counter} of the encrypted file is chunk ${other} of the same file: chunks were dropped, reordered or duplicated.`,
        );
      }
    }
    throw new EncryptedFileError(
      EncryptedFileErrorCode.ChunkCorrupted,
      `Chunk ${counter} of the encrypted file does not authenticate: the file is damaged or was altered.`,
    );
  }
}

/** A new file's header and the cipher that writes its chunks. */
export function createHeader(fileKey: Uint8Array, chunkSizeLog2 = DEFAULT_CHUNK_SIZE_LOG2): { header: Buffer; cipher: ChunkCipher } {
  assertFileKey(fileKey);
  if (!Number.isInteger(chunkSizeLog2) || chunkSizeLog2 < MIN_CHUNK_SIZE_LOG2 || chunkSizeLog2 > MAX_CHUNK_SIZE_LOG2) {
    throw new RangeError(`Chunk size must be 2^${MIN_CHUNK_SIZE_LOG2} to 2^${MAX_CHUNK_SIZE_LOG2} bytes.`);
  }
  const salt = randomBytes(SALT_BYTES);
  const noncePrefix = randomBytes(NONCE_PREFIX_BYTES);
  const header = Buffer.alloc(HEADER_BYTES);
  let offset = MAGIC.copy(header, 0);
  offset = header.writeUInt8(FORMAT_VERSION, offset);
  offset = header.writeUInt8(ALGORITHM_AES_256_GCM, offset);
  offset = header.writeUInt8(chunkSizeLog2, offset);
  offset = header.writeUInt8(0, offset);
  offset += keyIdOf(fileKey).copy(header, offset);
  offset += salt.copy(header, offset);
  noncePrefix.copy(header, offset);
  headerMac(fileKey, salt, header.subarray(0, MAC_OFFSET)).copy(header, MAC_OFFSET);
  return { header, cipher: new ChunkCipher(hkdf(fileKey, salt, 'aico/file/chunk/v1'), noncePrefix, chunkSizeLog2) };
}

/**
 * Checks a header (magic, version, key, MAC) and returns the cipher that reads the file's chunks. `fileKeys` are
 * the current key and older versions still held after a rotation; the header's key id picks the one that wrote it.
 */
export function openHeader(fileKeys: readonly Uint8Array[], header: Uint8Array): ChunkCipher {
  fileKeys.forEach(assertFileKey);
  const bytes = Buffer.from(header.buffer, header.byteOffset, header.byteLength);
  if (bytes.length < MAGIC.length || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new EncryptedFileError(EncryptedFileErrorCode.NotEncryptedFile, 'This is not an aico encrypted file (its first bytes are not the aico header).');
  }
  if (bytes.length < HEADER_BYTES) {
    throw new EncryptedFileError(EncryptedFileErrorCode.Truncated, `The encrypted file ends inside its ${HEADER_BYTES}-byte header: the file is truncated.`);
  }
  const version = bytes[MAGIC.length]!;
  const algorithm = bytes[MAGIC.length + 1]!;
  const chunkSizeLog2 = bytes[MAGIC.length + 2]!;
  if (version !== FORMAT_VERSION) {
    throw new EncryptedFileError(
      EncryptedFileErrorCode.UnsupportedVersion,
      `The encrypted file uses format version ${version}; this build reads version ${FORMAT_VERSION}. Update aico.`,
    );
  }
  let offset = MAGIC.length + 4;
  const keyId = bytes.subarray(offset, (offset += KEY_ID_BYTES));
  const salt = bytes.subarray(offset, (offset += SALT_BYTES));
  const noncePrefix = bytes.subarray(offset, (offset += NONCE_PREFIX_BYTES));
  const fileKey = fileKeys.find((candidate) => timingSafeEqual(keyId, keyIdOf(candidate)));
  if (!fileKey) {
    throw new EncryptedFileError(
      EncryptedFileErrorCode.WrongKey,
      'The encrypted file was written under another key (a different master key, or a key version no longer held).',
    );
  }
  const expectedMac = headerMac(fileKey, salt, bytes.subarray(0, MAC_OFFSET));
  if (!timingSafeEqual(bytes.subarray(MAC_OFFSET, HEADER_BYTES), expectedMac)) {
    throw new EncryptedFileError(EncryptedFileErrorCode.HeaderTampered, 'The header of the encrypted file was altered: it does not authenticate.');
  }
  if (algorithm !== ALGORITHM_AES_256_GCM || chunkSizeLog2 < MIN_CHUNK_SIZE_LOG2 || chunkSizeLog2 > MAX_CHUNK_SIZE_LOG2) {
    throw new EncryptedFileError(
      EncryptedFileErrorCode.UnsupportedVersion,
      `The encrypted file uses an algorithm (${algorithm}) or chunk size (2^${chunkSizeLog2}) this build does not read.`,
    );
  }
  return new ChunkCipher(hkdf(fileKey, salt, 'aico/file/chunk/v1'), noncePrefix, chunkSizeLog2);
}
