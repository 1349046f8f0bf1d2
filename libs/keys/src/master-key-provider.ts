// Where the master key comes from. The backbone knows two sources (a key file named by configuration, and the
// development profile's generated file); the security service adds the OS keychain and password unlock behind the
// same interface.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { chmod, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KeyError, KeyErrorCode } from './key.error';
import { MASTER_KEY_BYTES } from './purpose-keys';

export interface MasterKeyProvider {
  /** Where the key comes from, for logs and `aico doctor` (never the key itself). */
  readonly description: string;
  /** True for a source that is only fit for development; the caller warns. */
  readonly developmentOnly: boolean;
  load(): Promise<Buffer>;
}

const checkPermissions = process.platform !== 'win32';

/** Reads a 32-byte key stored as 64 hex characters (one trailing newline allowed) or as 32 raw bytes. */
export class KeyFileProvider implements MasterKeyProvider {
  readonly developmentOnly: boolean = false;
  readonly description: string;

  constructor(readonly path: string) {
    this.description = `key file ${path}`;
  }

  async load(): Promise<Buffer> {
    let info;
    try {
      info = await stat(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new KeyError(
          KeyErrorCode.KeyFileNotFound,
          `The master key file ${this.path} does not exist. Create it (32 random bytes or 64 hex characters, mode 0600) or point AICO_MASTER_KEY_FILE at the right file.`,
        );
      }
      throw new KeyError(KeyErrorCode.KeyFileInvalid, `The master key file ${this.path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
    if (!info.isFile()) {
      throw new KeyError(KeyErrorCode.KeyFileInvalid, `The master key path ${this.path} is not a regular file.`);
    }
    if (checkPermissions && (info.mode & 0o077) !== 0) {
      throw new KeyError(
        KeyErrorCode.KeyFilePermissions,
        `The master key file ${this.path} is readable by other users (mode ${(info.mode & 0o777).toString(8)}). Run "chmod 600 ${this.path}" and start again.`,
      );
    }
    let raw: Buffer;
    try {
      raw = await readFile(this.path);
    } catch (error) {
      throw new KeyError(
        KeyErrorCode.KeyFileInvalid,
        `The master key file ${this.path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); check its owner and permissions.`,
      );
    }
    return parseKey(raw, this.path);
  }
}

function parseKey(raw: Buffer, path: string): Buffer {
  const text = raw.toString('latin1').replace(/\r?\n$/, '');
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (raw.length === MASTER_KEY_BYTES) return Buffer.from(raw);
  throw new KeyError(
    KeyErrorCode.KeyFileInvalid,
    `The master key file ${path} holds ${raw.length} bytes; it must hold ${MASTER_KEY_BYTES} raw bytes or ${MASTER_KEY_BYTES * 2} hex characters.`,
  );
}

export interface DevelopmentKeyOptions {
  /**
   * Whether `load()` makes the key when there is none (a starting service). The CLI passes false: it only talks to
   * services that already run on the key, and must not write to the data directory (`aico status` on a full disk).
   */
  readonly create?: boolean;
}

/** What `retire()` did with the development key file. */
export type RetiredDevelopmentKey = 'removed' | 'absent' | 'different';

/**
 * The development profile's key: generated on first start into `<dataDir>/dev-master.key` (mode 0600) so that
 * `npm start` on a fresh checkout runs with no prompt. Not for real data: the key sits beside what it protects.
 */
export class DevelopmentKeyProvider implements MasterKeyProvider {
  readonly developmentOnly: boolean = true;
  readonly description: string;
  readonly path: string;
  /** Set by `load()` when it had to create the key. */
  created = false;
  private readonly create: boolean;

  constructor(dataDir: string, options: DevelopmentKeyOptions = {}) {
    this.path = join(dataDir, 'dev-master.key');
    this.description = `development key file ${this.path}`;
    this.create = options.create ?? true;
  }

  async load(): Promise<Buffer> {
    // An existing key is only read: nothing is written on the common path, so a full disk cannot break it.
    try {
      return await new KeyFileProvider(this.path).load();
    } catch (error) {
      if (!(error instanceof KeyError) || error.code !== KeyErrorCode.KeyFileNotFound) throw error;
    }
    if (!this.create) {
      throw new KeyError(
        KeyErrorCode.KeyFileNotFound,
        `There is no development key ${this.path} yet: no aico service has started in the development profile for this data directory.`,
      );
    }
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    // Written whole to a temporary file, then linked into place: link() fails if the key exists, so when several
    // services start at once exactly one key wins, and nobody can read a half-written file.
    const temporary = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(temporary, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
    try {
      await handle.writeFile(`${randomBytes(MASTER_KEY_BYTES).toString('hex')}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      if (checkPermissions) await chmod(temporary, 0o600);
      await link(temporary, this.path);
      this.created = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await unlink(temporary);
    }
    return new KeyFileProvider(this.path).load();
  }

  /**
   * Removes the key file once `masterKey` is kept elsewhere (wrapped in the vault and in the OS keychain), so no
   * plaintext key is left beside the data. Only a file holding exactly that key is removed: a different key may be
   * what running services encrypt with. The bytes are overwritten and synced before the unlink, so the key does not
   * linger in the freed blocks of an ordinary file system (copy-on-write file systems and SSD wear levelling may
   * still keep an old copy; the file never held more than this one key).
   */
  async retire(masterKey: Uint8Array): Promise<RetiredDevelopmentKey> {
    let raw: Buffer;
    try {
      raw = await readFile(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
      throw error;
    }
    let key: Buffer;
    try {
      key = parseKey(raw, this.path);
    } catch {
      return 'different';
    } finally {
      raw.fill(0);
    }
    const same = key.length === masterKey.length && timingSafeEqual(key, masterKey);
    key.fill(0);
    if (!same) return 'different';
    const handle = await open(this.path, 'r+');
    try {
      const { size } = await handle.stat();
      await handle.write(Buffer.alloc(size), 0, size, 0);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await unlink(this.path);
    return 'removed';
  }
}

export interface MasterKeySelection {
  /** Configuration `masterKeyFile` (environment AICO_MASTER_KEY_FILE). */
  readonly masterKeyFile?: string | undefined;
  readonly profile: 'development' | 'production';
  readonly dataDir: string;
  /** Whether the development key is made when missing (default true; the CLI only reads one). */
  readonly createDevelopmentKey?: boolean;
}

/**
 * The file-based master key sources, after the OS keychain: a configured key file, then (development profile only)
 * the generated one. `keychainReason` says why the keychain did not provide the key, for the refusal's message.
 */
export function selectMasterKeyProvider(selection: MasterKeySelection, keychainReason = 'no keychain was consulted'): MasterKeyProvider {
  if (selection.masterKeyFile) return new KeyFileProvider(selection.masterKeyFile);
  if (selection.profile === 'development') return new DevelopmentKeyProvider(selection.dataDir, { create: selection.createDevelopmentKey ?? true });
  throw new KeyError(
    KeyErrorCode.NoKeySource,
    `No master key is available: the OS keychain was not used (${keychainReason}) and AICO_MASTER_KEY_FILE is not set. Run "aico unlock" to unlock with the master password, or set AICO_MASTER_KEY_FILE to a 0600 key file (a systemd credential or Docker secret).`,
  );
}
