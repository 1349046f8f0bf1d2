// Topics of the `security` domain, answered and published by the keys service. The bus is a broadcast medium (any
// prefix subscriber sees every message), so no key ever travels here and passwords travel only sealed to the keys
// service's CURVE public key (libs/keys sealed-box), under the contexts in `SealedPasswordContext`.
import {
  ChangePasswordRequestSchema,
  ChangePasswordResponseSchema,
  KeyRotatedSchema,
  KeysLockedSchema,
  KeysUnlockedSchema,
  KeysStatusRequestSchema,
  KeysStatusResponseSchema,
  LockRequestSchema,
  LockResponseSchema,
  PasswordChangedSchema,
  RotateKeyRequestSchema,
  RotateKeyResponseSchema,
  UnlockRequestSchema,
  UnlockResponseSchema,
} from './gen/aico/security/v1/keys_pb';
import { defineEvent, defineRequest } from './topic-registry';

/**
 * Error codes the keys service answers with: the key manager's (password, vault, keychain), a purpose it does not
 * know, and a sealed password that does not open. libs/key-manager and libs/keys raise them under their own names.
 */
export enum KeysErrorCode {
  WeakPassword = 'KEYS_WEAK_PASSWORD',
  WrongPassword = 'KEYS_WRONG_PASSWORD',
  TooManyAttempts = 'KEYS_TOO_MANY_ATTEMPTS',
  NotSetUp = 'KEYS_NOT_SET_UP',
  AlreadySetUp = 'KEYS_ALREADY_SET_UP',
  VaultTampered = 'KEYS_VAULT_TAMPERED',
  VaultMismatch = 'KEYS_VAULT_MISMATCH',
  VaultUnsupported = 'KEYS_VAULT_UNSUPPORTED',
  KeychainUnavailable = 'KEYS_KEYCHAIN_UNAVAILABLE',
  InvalidPurpose = 'KEYS_INVALID_PURPOSE',
  /** A sealed password that is not a box, or not sealed to the keys service under its context. */
  SealedBoxInvalid = 'SEALED_BOX_INVALID',
}

export const SecurityTopics = {
  keysStatus: defineRequest({
    topic: 'security.keys.status',
    payload: KeysStatusRequestSchema,
    response: KeysStatusResponseSchema,
    publishers: 'any',
    responders: ['keys'],
    contractVersion: 1,
    description: 'Key state: set up, keychain, purpose-key versions. No key material.',
  }),
  rotate: defineRequest({
    topic: 'security.keys.rotate',
    payload: RotateKeyRequestSchema,
    response: RotateKeyResponseSchema,
    publishers: ['cli', 'scheduler', 'supervisor'],
    responders: ['keys'],
    contractVersion: 1,
    description: 'Bumps a purpose key version; announced on security.keys.rotated.',
  }),
  lock: defineRequest({
    topic: 'security.keys.lock',
    payload: LockRequestSchema,
    response: LockResponseSchema,
    publishers: ['cli', 'supervisor'],
    responders: ['keys'],
    contractVersion: 1,
    description: 'Removes the master key from the OS keychain until the next unlock.',
  }),
  unlock: defineRequest({
    topic: 'security.keys.unlock',
    payload: UnlockRequestSchema,
    response: UnlockResponseSchema,
    publishers: ['cli', 'gateway', 'supervisor'],
    responders: ['keys'],
    contractVersion: 1,
    description: 'Verifies the sealed master password and puts the master key back into the OS keychain.',
  }),
  changePassword: defineRequest({
    topic: 'security.keys.password.change',
    payload: ChangePasswordRequestSchema,
    response: ChangePasswordResponseSchema,
    publishers: ['cli', 'gateway'],
    responders: ['keys'],
    contractVersion: 1,
    description: 'Re-wraps the master key under a new (sealed) password; no data is re-encrypted.',
  }),
  passwordChanged: defineEvent({
    topic: 'security.keys.password.changed',
    payload: PasswordChangedSchema,
    publishers: ['keys'],
    contractVersion: 1,
    description: 'The master password was changed.',
  }),
  rotated: defineEvent({
    topic: 'security.keys.rotated',
    payload: KeyRotatedSchema,
    publishers: ['keys'],
    contractVersion: 1,
    description: 'A purpose key has a new version; its owner re-keys.',
  }),
  unlocked: defineEvent({
    topic: 'security.keys.unlocked',
    payload: KeysUnlockedSchema,
    publishers: ['keys'],
    contractVersion: 1,
    description: 'The keys service holds the master key: services can start and run.',
  }),
  locked: defineEvent({
    topic: 'security.keys.locked',
    payload: KeysLockedSchema,
    publishers: ['keys'],
    contractVersion: 1,
    description: 'The master key left the OS keychain.',
  }),
} as const;

/** Sealed-box contexts of the passwords in security requests: a box opens only under the context it was sealed for. */
export const SealedPasswordContext = {
  unlock: 'security.keys.unlock/password',
  currentPassword: 'security.keys.password.change/current',
  newPassword: 'security.keys.password.change/new',
} as const;
