import { PublicError, type KeysErrorCode } from '@aico/contracts';

// The key manager's codes are the keys service's (they travel in its replies): one enum, in the contracts, under the
// name this lib has always exported.
export { KeysErrorCode as KeyManagerErrorCode } from '@aico/contracts';

/** A key-manager failure; its message tells the user what to do and never contains a password or key. */
export class KeyManagerError extends PublicError<KeysErrorCode> {
  override readonly name = 'KeyManagerError';
}
