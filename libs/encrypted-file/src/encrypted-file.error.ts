import { PublicError } from '@aico/contracts';

export enum EncryptedFileErrorCode {
  /** The file does not start with the aico encrypted-file magic: not ours, or not encrypted. */
  NotEncryptedFile = 'ENCRYPTED_FILE_FOREIGN',
  UnsupportedVersion = 'ENCRYPTED_FILE_UNSUPPORTED_VERSION',
  /** The file was written under another key. */
  WrongKey = 'ENCRYPTED_FILE_WRONG_KEY',
  HeaderTampered = 'ENCRYPTED_FILE_HEADER_TAMPERED',
  /** A chunk does not authenticate at its position: a flipped bit or other damage. */
  ChunkCorrupted = 'ENCRYPTED_FILE_CHUNK_CORRUPTED',
  /** A chunk authenticates, but at another position: chunks were dropped, reordered or duplicated. */
  ChunkOutOfOrder = 'ENCRYPTED_FILE_CHUNK_OUT_OF_ORDER',
  /** The file ends before its final chunk. */
  Truncated = 'ENCRYPTED_FILE_TRUNCATED',
  /** Bytes follow the final chunk. */
  TrailingData = 'ENCRYPTED_FILE_TRAILING_DATA',
}

/** The file cannot be read as what it claims to be. No plaintext of a failing chunk has been released. */
export class EncryptedFileError extends PublicError<EncryptedFileErrorCode> {
  override readonly name = 'EncryptedFileError';
}
