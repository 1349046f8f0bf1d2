import { PublicError } from '@aico/contracts';

export enum KeyErrorCode {
  KeyFileNotFound = 'KEY_FILE_NOT_FOUND',
  KeyFilePermissions = 'KEY_FILE_PERMISSIONS',
  KeyFileInvalid = 'KEY_FILE_INVALID',
  NoKeySource = 'NO_KEY_SOURCE',
  SealedBoxInvalid = 'SEALED_BOX_INVALID',
}

/** A key could not be had. The message says what to do; it never contains key material. */
export class KeyError extends PublicError<KeyErrorCode> {
  override readonly name = 'KeyError';
}
