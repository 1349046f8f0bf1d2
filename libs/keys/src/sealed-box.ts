// Sealed boxes: a secret (a password on its way to the keys service) encrypted to one bus identity's X25519 public
// key, so that only that identity can open it even though the bus delivers it to every subscriber of the topic.
// ECIES: an ephemeral X25519 key pair, HKDF-SHA256 over the shared secret (salt = both public keys, info = the
// context label), AES-256-GCM with the context as associated data. Binding the context means a box sealed for
// "unlock" cannot be replayed as the new password of a password change.
import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { KeyError, KeyErrorCode } from './key.error';
import { z85Decode } from './z85';

const VERSION = 1;
const PUBLIC_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + PUBLIC_KEY_BYTES + NONCE_BYTES;
// DER prefixes of X25519 SubjectPublicKeyInfo and PKCS#8 private keys; the raw 32 bytes follow them.
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

const publicKeyObject = (raw: Uint8Array): KeyObject => createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
const privateKeyObject = (raw: Uint8Array): KeyObject => createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
const rawPublicKey = (key: KeyObject): Buffer => {
  const spki = key.export({ format: 'der', type: 'spki' });
  return Buffer.from(spki.subarray(spki.length - PUBLIC_KEY_BYTES));
};

function boxKey(shared: Buffer, ephemeralPublic: Buffer, recipientPublic: Buffer, context: string): Buffer {
  try {
    return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralPublic, recipientPublic]), Buffer.from(`aico/sealed-box/v1/${context}`, 'utf8'), 32));
  } finally {
    shared.fill(0);
  }
}

/** Seals `plaintext` to the identity whose CURVE public key (Z85) is `recipientPublicKey`. */
export function sealTo(recipientPublicKey: string, plaintext: Uint8Array, context: string): Buffer {
  const recipient = z85Decode(recipientPublicKey);
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralPublic = rawPublicKey(ephemeral.publicKey);
  const key = boxKey(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: publicKeyObject(recipient) }), ephemeralPublic, recipient, context);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  key.fill(0);
  return Buffer.concat([Buffer.of(VERSION), ephemeralPublic, nonce, body, cipher.getAuthTag()]);
}

/** Opens a box sealed to the identity whose CURVE secret key (Z85) is `recipientSecretKey`, for `context`. */
export function openSealed(recipientSecretKey: string, sealed: Uint8Array, context: string): Buffer {
  if (sealed.length < HEADER_BYTES + TAG_BYTES)
    throw new KeyError(KeyErrorCode.SealedBoxInvalid, `The sealed box is ${sealed.length} bytes, shorter than any box.`);
  if (sealed[0] !== VERSION) throw new KeyError(KeyErrorCode.SealedBoxInvalid, `The sealed box has version ${sealed[0]}; this build reads version ${VERSION}.`);
  const box = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const ephemeralPublic = box.subarray(1, 1 + PUBLIC_KEY_BYTES);
  const nonce = box.subarray(1 + PUBLIC_KEY_BYTES, HEADER_BYTES);
  const body = box.subarray(HEADER_BYTES, box.length - TAG_BYTES);
  const secret = z85Decode(recipientSecretKey);
  const privateKey = privateKeyObject(secret);
  secret.fill(0);
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey: publicKeyObject(ephemeralPublic) });
  } catch {
    throw new KeyError(KeyErrorCode.SealedBoxInvalid, 'The sealed box carries an invalid ephemeral public key.');
  }
  const key = boxKey(shared, Buffer.from(ephemeralPublic), rawPublicKey(createPublicKey(privateKey)), context);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce).setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(box.subarray(box.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new KeyError(KeyErrorCode.SealedBoxInvalid, `The sealed box does not open: it was not sealed to this identity for "${context}", or it was altered.`);
  } finally {
    key.fill(0);
  }
}
