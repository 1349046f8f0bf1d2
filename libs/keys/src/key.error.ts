import { KeysErrorCode, PublicError } from '@aico/contracts';

export enum KeyErrorCode {
  KeyFileNotFound = 'KEY_FILE_NOT_FOUND',
  KeyFilePermissions = 'KEY_FILE_PERMISSIONS',
  KeyFileInvalid = 'KEY_FILE_INVALID',
  NoKeySource = 'NO_KEY_SOURCE',
  /** Travels in the keys service's replies, so its value is the contract's. */
  SealedBoxInvalid = KeysErrorCode.SealedBoxInvalid,
}

/** A key could not be had. The message says what to do; it never contains key material. */
export class KeyError extends PublicError<KeyErrorCode> {
  override readonly name = 'KeyError';
}
