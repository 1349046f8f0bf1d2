// Topics of the `security` domain, answered and published by the keys service. No secret ever travels here: the
// bus is a broadcast medium (any prefix subscriber would see it), so password operations stay local to the CLI.
import {
  KeyRotatedSchema,
  KeysLockedSchema,
  KeysUnlockedSchema,
  KeysStatusRequestSchema,
  KeysStatusResponseSchema,
  LockRequestSchema,
  LockResponseSchema,
  RotateKeyRequestSchema,
  RotateKeyResponseSchema,
} from './gen/aico/security/v1/keys_pb';
import { defineEvent, defineRequest } from './topic-registry';

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
