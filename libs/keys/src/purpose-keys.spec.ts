import {
  curveKeyInfo,
  deriveBackupKey,
  deriveCurveKeyPair,
  deriveDatabaseKey,
  deriveFileEncryptionKey,
  derivePurposeKey,
  deriveTokenSigningKey,
  hkdfSha256,
  purposeKeyInfo,
  x25519PublicKey,
} from './purpose-keys';
import { z85Decode, z85Encode } from './z85';

const master = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');

describe('purpose keys', () => {
  it('is HKDF-SHA256 with an empty salt (RFC 5869 test case 3)', () => {
    const okm = hkdfSha256(Buffer.alloc(22, 0x0b), '', 42);
    expect(okm.toString('hex')).toBe('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8');
  });

  it('labels purposes "aico/<purpose>/v<n>" and bus identities "aico/bus/curve/<identity>/v1"', () => {
    expect(purposeKeyInfo('database')).toBe('aico/database/v1');
    expect(purposeKeyInfo('backup', 3)).toBe('aico/backup/v3');
    expect(curveKeyInfo('storage')).toBe('aico/bus/curve/storage/v1');
    expect(() => purposeKeyInfo('Bad Purpose')).toThrow('Invalid key purpose');
    expect(() => purposeKeyInfo('database', 0)).toThrow('positive integer');
  });

  it('derives distinct 32-byte keys per purpose and version, deterministically', () => {
    const database = derivePurposeKey(master, 'database');
    expect(database).toHaveLength(32);
    expect(derivePurposeKey(master, 'database')).toEqual(database);
    expect(derivePurposeKey(master, 'database', 2)).not.toEqual(database);
    expect(derivePurposeKey(master, 'file')).not.toEqual(database);
    expect(database).toEqual(hkdfSha256(master, 'aico/database/v1'));
  });

  it('names each purpose key after what it protects', () => {
    expect(deriveDatabaseKey(master, 2)).toEqual(hkdfSha256(master, 'aico/database/v2'));
    expect(deriveFileEncryptionKey(master)).toEqual(hkdfSha256(master, 'aico/file/v1'));
    expect(deriveTokenSigningKey(master)).toEqual(hkdfSha256(master, 'aico/token-signing/v1'));
    expect(deriveBackupKey(master, 3)).toEqual(hkdfSha256(master, 'aico/backup/v3'));
  });

  it('refuses a master key that is not 32 bytes', () => {
    expect(() => derivePurposeKey(Buffer.alloc(16), 'database')).toThrow('The master key must be 32 bytes, got 16.');
  });

  it('derives a CURVE keypair whose secret is the HKDF output and whose public key is X25519 of it', () => {
    const pair = deriveCurveKeyPair(master, 'gateway');
    expect(pair.secretKey).toHaveLength(40);
    expect(pair.publicKey).toHaveLength(40);
    const secret = z85Decode(pair.secretKey);
    expect(secret).toEqual(hkdfSha256(master, 'aico/bus/curve/gateway/v1'));
    expect(z85Decode(pair.publicKey)).toEqual(x25519PublicKey(secret));
    expect(deriveCurveKeyPair(master, 'storage').publicKey).not.toBe(pair.publicKey);
  });

  it('computes X25519 public keys as RFC 7748 does (section 6.1 test vector)', () => {
    const alicePrivate = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex');
    expect(x25519PublicKey(alicePrivate).toString('hex')).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(z85Encode(x25519PublicKey(alicePrivate))).toHaveLength(40);
  });
});
