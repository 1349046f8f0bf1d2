import { PublicError } from '@aico/contracts';

export enum KeyManagerErrorCode {
  WeakPassword = 'KEYS_WEAK_PASSWORD',
  WrongPassword = 'KEYS_WRONG_PASSWORD',
  TooManyAttempts = 'KEYS_TOO_MANY_ATTEMPTS',
  NotSetUp = 'KEYS_NOT_SET_UP',
  AlreadySetUp = 'KEYS_ALREADY_SET_UP',
  VaultTampered = 'KEYS_VAULT_TAMPERED',
  VaultMismatch = 'KEYS_VAULT_MISMATCH',
  VaultUnsupported = 'KEYS_VAULT_UNSUPPORTED',
  KeychainUnavailable = 'KEYS_KEYCHAIN_UNAVAILABLE',
}

/** A key-manager failure; its message tells the user what to do and never contains a password or key. */
export class KeyManagerError extends PublicError<KeyManagerErrorCode> {
  override readonly name = 'KeyManagerError';
}
