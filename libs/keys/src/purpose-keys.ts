// Purpose keys: every key aico uses is HKDF-SHA256(ikm = master key, salt = empty, info = "aico/<purpose>/v<n>"),
// so one 32-byte master key protects everything and rotating a purpose only bumps its version.
import { createPrivateKey, createPublicKey, hkdfSync } from 'node:crypto';
import { z85Encode } from './z85';

export const MASTER_KEY_BYTES = 32;
export const PURPOSE_KEY_BYTES = 32;

/** Purposes with a fixed label. Bus CURVE keys are per identity: see `curveKeyInfo`. */
export type KeyPurpose = 'database' | 'file' | 'token-signing' | 'backup';

export function purposeKeyInfo(purpose: string, version = 1): string {
  if (!/^[a-z0-9][a-z0-9/_-]*$/.test(purpose)) throw new RangeError(`Invalid key purpose "${purpose}".`);
  if (!Number.isInteger(version) || version < 1) throw new RangeError(`Key version must be a positive integer.`);
  return `aico/${purpose}/v${version}`;
}

export function curveKeyInfo(identity: string, version = 1): string {
  return purposeKeyInfo(`bus/curve/${identity}`, version);
}

export function hkdfSha256(ikm: Uint8Array, info: string, length = PURPOSE_KEY_BYTES): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), Buffer.from(info, 'utf8'), length));
}

export function assertMasterKey(master: Uint8Array): void {
  if (master.length !== MASTER_KEY_BYTES) {
    throw new RangeError(`The master key must be ${MASTER_KEY_BYTES} bytes, got ${master.length}.`);
  }
}

export function derivePurposeKey(master: Uint8Array, purpose: KeyPurpose, version = 1): Buffer {
  assertMasterKey(master);
  return hkdfSha256(master, purposeKeyInfo(purpose, version));
}

/** The database encryption key (libSQL `encryptionKey`), "aico/database/v<n>". */
export const deriveDatabaseKey = (master: Uint8Array, version = 1): Buffer => derivePurposeKey(master, 'database', version);
/** The encrypted-file key, "aico/file/v<n>". */
export const deriveFileEncryptionKey = (master: Uint8Array, version = 1): Buffer => derivePurposeKey(master, 'file', version);
/** The access-token signing key, "aico/token-signing/v<n>". */
export const deriveTokenSigningKey = (master: Uint8Array, version = 1): Buffer => derivePurposeKey(master, 'token-signing', version);
/** The backup-archive key, "aico/backup/v<n>". */
export const deriveBackupKey = (master: Uint8Array, version = 1): Buffer => derivePurposeKey(master, 'backup', version);

/** A CURVE keypair in the Z85 text form zeromq's socket options take. */
export interface CurveKeyPair {
  readonly publicKey: string;
  readonly secretKey: string;
}

// DER prefix of a PKCS#8 X25519 private key; the raw 32-byte scalar follows it.
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** X25519 public key of a raw 32-byte secret (clamping is part of X25519, as in libsodium). */
export function x25519PublicKey(secret: Uint8Array): Buffer {
  if (secret.length !== 32) throw new RangeError('An X25519 secret key is 32 bytes.');
  const privateKey = createPrivateKey({
    key: Buffer.concat([X25519_PKCS8_PREFIX, secret]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return Buffer.from(spki.subarray(spki.length - 32));
}

/**
 * The CURVE keypair of a bus identity: secret = HKDF(master, "aico/bus/curve/<identity>/v1"), public = X25519(secret).
 * Any ZeroMQ implementation in any language derives the same keys from the same master key.
 */
export function deriveCurveKeyPair(master: Uint8Array, identity: string, version = 1): CurveKeyPair {
  assertMasterKey(master);
  const secret = hkdfSha256(master, curveKeyInfo(identity, version));
  return { publicKey: z85Encode(x25519PublicKey(secret)), secretKey: z85Encode(secret) };
}
