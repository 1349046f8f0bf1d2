// The master key at rest: wrapped (AES-256-GCM) under a key-encryption key derived from the user's password with
// Argon2id, in a small JSON file in the data directory. The password is never stored; the KDF parameters and
// format are authenticated as GCM associated data; a checksum tells a damaged file from a wrong password.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hashRaw } from '@node-rs/argon2';

// @node-rs/argon2 declares Algorithm as an ambient const enum, which isolated modules cannot read: Argon2id is 2.
const ARGON2ID = 2;
import { KeyManagerError, KeyManagerErrorCode } from './key-manager.error';

export interface KdfParams {
  readonly algorithm: 'argon2id';
  readonly memoryKiB: number;
  readonly iterations: number;
  readonly parallelism: number;
  /** base64, 16 random bytes. */
  readonly salt: string;
}

export interface KdfCost {
  readonly memoryKiB: number;
  readonly iterations: number;
  readonly parallelism: number;
}

/** docs/architecture.md §5: 64 MiB, t=3, p=4 (about 100 ms here). */
export const DEFAULT_KDF_COST: KdfCost = { memoryKiB: 65_536, iterations: 3, parallelism: 4 };

interface VaultFile {
  readonly format: 'aico-master-key';
  readonly version: 1;
  readonly kdf: KdfParams;
  readonly cipher: 'aes-256-gcm';
  readonly nonce: string;
  readonly ciphertext: string;
  readonly tag: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** SHA-256 of the fields above: tells accidental damage from a wrong password. */
  readonly checksum: string;
}

export async function deriveKek(password: string, kdf: KdfParams): Promise<Buffer> {
  return hashRaw(password.normalize('NFC'), {
    algorithm: ARGON2ID,
    memoryCost: kdf.memoryKiB,
    timeCost: kdf.iterations,
    parallelism: kdf.parallelism,
    outputLen: 32,
    salt: Buffer.from(kdf.salt, 'base64'),
  });
}

function associatedData(vault: Pick<VaultFile, 'format' | 'version' | 'kdf' | 'cipher'>): Buffer {
  const { algorithm, memoryKiB, iterations, parallelism, salt } = vault.kdf;
  return Buffer.from(JSON.stringify([vault.format, vault.version, vault.cipher, algorithm, memoryKiB, iterations, parallelism, salt]), 'utf8');
}

function checksumOf(vault: Omit<VaultFile, 'checksum'>): string {
  const { format, version, kdf, cipher, nonce, ciphertext, tag, createdAt, updatedAt } = vault;
  return createHash('sha256')
    .update(JSON.stringify([format, version, kdf, cipher, nonce, ciphertext, tag, createdAt, updatedAt]))
    .digest('hex');
}

/** Wraps `masterKey` under a fresh salt and nonce. */
export async function sealVault(masterKey: Buffer, password: string, cost: KdfCost = DEFAULT_KDF_COST, createdAt?: string): Promise<string> {
  const kdf: KdfParams = { algorithm: 'argon2id', ...cost, salt: randomBytes(16).toString('base64') };
  const kek = await deriveKek(password, kdf);
  const nonce = randomBytes(12);
  const header = { format: 'aico-master-key', version: 1, kdf, cipher: 'aes-256-gcm' } as const;
  const cipher = createCipheriv('aes-256-gcm', kek, nonce);
  cipher.setAAD(associatedData(header));
  const ciphertext = Buffer.concat([cipher.update(masterKey), cipher.final()]);
  kek.fill(0);
  const now = new Date().toISOString();
  const body = {
    ...header,
    nonce: nonce.toString('base64'),
    ciphertext: ciphertext.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    createdAt: createdAt ?? now,
    updatedAt: now,
  };
  return `${JSON.stringify({ ...body, checksum: checksumOf(body) }, null, 2)}\n`;
}

function parseVault(text: string, path: string): VaultFile {
  let vault: VaultFile;
  try {
    vault = JSON.parse(text) as VaultFile;
  } catch {
    throw new KeyManagerError(
      KeyManagerErrorCode.VaultTampered,
      `The wrapped master key ${path} is not valid JSON: it was damaged or altered. Restore it from a backup.`,
    );
  }
  if (vault.format !== 'aico-master-key') {
    throw new KeyManagerError(KeyManagerErrorCode.VaultTampered, `${path} is not an aico wrapped master key.`);
  }
  if (vault.version !== 1 || vault.cipher !== 'aes-256-gcm' || vault.kdf?.algorithm !== 'argon2id') {
    throw new KeyManagerError(
      KeyManagerErrorCode.VaultUnsupported,
      `The wrapped master key ${path} uses a format this build does not read (version ${String(vault.version)}). Update aico.`,
    );
  }
  const { checksum, ...body } = vault;
  if (checksum !== checksumOf(body)) {
    throw new KeyManagerError(
      KeyManagerErrorCode.VaultTampered,
      `The wrapped master key ${path} was damaged or altered (its checksum does not match). Restore it from a backup.`,
    );
  }
  return vault;
}

/** The master key inside a vault; WRONG_PASSWORD when the password does not open it. */
export async function openVault(text: string, password: string, path: string): Promise<Buffer> {
  const vault = parseVault(text, path);
  const kek = await deriveKek(password, vault.kdf);
  const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(vault.nonce, 'base64'));
  decipher.setAAD(associatedData(vault));
  decipher.setAuthTag(Buffer.from(vault.tag, 'base64'));
  try {
    const masterKey = Buffer.concat([decipher.update(Buffer.from(vault.ciphertext, 'base64')), decipher.final()]);
    if (masterKey.length !== 32) throw new Error('unexpected key length');
    return masterKey;
  } catch {
    throw new KeyManagerError(KeyManagerErrorCode.WrongPassword, 'The master password is wrong.');
  } finally {
    kek.fill(0);
  }
}

export function vaultCreatedAt(text: string, path: string): string {
  return parseVault(text, path).createdAt;
}

export async function readVault(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
