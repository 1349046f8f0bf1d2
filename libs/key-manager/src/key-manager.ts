// The one place aico handles its master password and master key: initial setup (policy, Argon2id, wrap, keychain),
// interactive unlock (verify, back off after repeated failures), password change (re-wrap only), and the
// automatic start-up path (the key from the keychain, with the reason said when there is none).
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KeyRing } from '@aico/keys';
import type { Logger } from '@aico/logging';
import { KeyManagerError, KeyManagerErrorCode } from './key-manager.error';
import { writeFileAtomic } from './atomic-file';
import { openVault, readVault, sealVault, vaultCreatedAt, type KdfCost } from './master-key-vault';
import { assertPasswordPolicy } from './password-policy';
import { keychainAccount, type SecretStore } from './secret-store';

export const VAULT_FILE = 'master-key.vault.json';
const ATTEMPTS_FILE = 'unlock-attempts.json';
/** Failures allowed before waiting; then 1 s, 2 s, 4 s … up to 5 minutes between attempts (see UnlockBackoff). */
const FREE_ATTEMPTS = 3;

/** How long to wait after wrong master passwords: `firstDelayMs`, doubling with each further failure, at most `maxDelayMs`. */
export interface UnlockBackoff {
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_UNLOCK_BACKOFF: UnlockBackoff = { firstDelayMs: 1_000, maxDelayMs: 5 * 60_000 };

export type SetupPhase = 'checking-password' | 'deriving-key' | 'writing-vault' | 'storing-in-keychain' | 'done';

export interface KeyManagerOptions {
  readonly dataDir: string;
  /** The OS keychain, or none where the platform has none. */
  readonly secretStore?: SecretStore | undefined;
  readonly logger?: Logger | undefined;
  /** Argon2id cost; docs/architecture.md §5: 64 MiB, t=3, p=4 unless a benchmark or test says otherwise. */
  readonly kdfCost?: KdfCost;
  readonly now?: () => number;
  /**
   * The back-off after wrong passwords. Tests that check it across processes make the first delay long, so that
   * no machine is slow enough to start the next attempt after it has run out.
   */
  readonly backoff?: UnlockBackoff;
}

export interface SetupResult {
  readonly keys: KeyRing;
  /** Whether the master key went into the keychain, and if not, why. */
  readonly keychain: { readonly stored: true } | { readonly stored: false; readonly reason: string };
}

interface Attempts {
  failures: number;
  lastFailureAt: number;
}

export class KeyManager {
  readonly vaultPath: string;
  private readonly attemptsPath: string;
  private readonly now: () => number;

  constructor(private readonly options: KeyManagerOptions) {
    this.vaultPath = join(options.dataDir, VAULT_FILE);
    this.attemptsPath = join(options.dataDir, ATTEMPTS_FILE);
    this.now = options.now ?? Date.now;
  }

  async isSetUp(): Promise<boolean> {
    return (await readVault(this.vaultPath)) !== undefined;
  }

  /**
   * Creates the master key (or adopts `existingKey`, e.g. the development key services already use), wraps it under
   * the password, and stores it in the keychain when there is one.
   */
  async setup(password: string, onProgress: (phase: SetupPhase) => void = () => undefined, existingKey?: Uint8Array): Promise<SetupResult> {
    onProgress('checking-password');
    assertPasswordPolicy(password);
    if (await this.isSetUp()) {
      throw new KeyManagerError(
        KeyManagerErrorCode.AlreadySetUp,
        `aico is already set up (${this.vaultPath} exists). Use "aico passwd" to change the password.`,
      );
    }
    await mkdir(this.options.dataDir, { recursive: true, mode: 0o700 });
    if (existingKey && existingKey.length !== 32) throw new RangeError('A master key is 32 bytes.');
    const masterKey = existingKey ? Buffer.from(existingKey) : randomBytes(32);
    try {
      onProgress('deriving-key');
      const vault = await sealVault(masterKey, password, this.options.kdfCost);
      onProgress('writing-vault');
      await writeFileAtomic(this.vaultPath, vault);
      onProgress('storing-in-keychain');
      const keychain = await this.storeInKeychain(masterKey);
      this.options.logger?.info({ vault: this.vaultPath, keychainStored: keychain.stored }, 'Master key created and wrapped under the master password');
      onProgress('done');
      return { keys: new KeyRing(masterKey, 'master password'), keychain };
    } finally {
      masterKey.fill(0);
    }
  }

  /** Verifies the password against the wrapped key and returns the keys; backs off after repeated failures. */
  async unlock(password: string): Promise<KeyRing> {
    const vault = await this.requireVault();
    await this.assertMayAttempt();
    let masterKey: Buffer;
    try {
      masterKey = await openVault(vault, password, this.vaultPath);
    } catch (error) {
      if (error instanceof KeyManagerError && error.code === KeyManagerErrorCode.WrongPassword) {
        const attempts = await this.recordFailure();
        this.options.logger?.warn({ failures: attempts.failures }, 'Unlock refused: wrong master password');
      }
      throw error;
    }
    await this.resetFailures();
    try {
      this.options.logger?.info('Unlocked with the master password');
      return new KeyRing(masterKey, 'master password');
    } finally {
      masterKey.fill(0);
    }
  }

  /** Re-wraps the same master key under a new password; no data is re-encrypted. */
  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    assertPasswordPolicy(newPassword);
    const vault = await this.requireVault();
    await this.assertMayAttempt();
    let masterKey: Buffer;
    try {
      masterKey = await openVault(vault, currentPassword, this.vaultPath);
    } catch (error) {
      if (error instanceof KeyManagerError && error.code === KeyManagerErrorCode.WrongPassword) await this.recordFailure();
      throw error;
    }
    try {
      await this.resetFailures();
      await writeFileAtomic(this.vaultPath, await sealVault(masterKey, newPassword, this.options.kdfCost, vaultCreatedAt(vault, this.vaultPath)));
      this.options.logger?.info('Master password changed; the master key was re-wrapped');
    } finally {
      masterKey.fill(0);
    }
  }

  /** The automatic start-up path: the master key from the keychain, or the reason there is none. */
  async keysFromKeychain(): Promise<{ keys: KeyRing } | { keys: undefined; reason: string }> {
    const store = this.options.secretStore;
    if (!store) return { keys: undefined, reason: 'this platform has no OS keychain' };
    let hex: string | undefined;
    try {
      hex = await store.get(keychainAccount(this.options.dataDir));
    } catch (error) {
      return { keys: undefined, reason: (error as Error).message };
    }
    if (!hex)
      return { keys: undefined, reason: `the ${store.description} holds no master key for ${this.options.dataDir} (run "aico setup" or "aico unlock")` };
    const masterKey = Buffer.from(hex, 'hex');
    try {
      return { keys: new KeyRing(masterKey, store.description) };
    } finally {
      masterKey.fill(0);
    }
  }

  /** Puts an unlocked master key into the keychain (after `aico unlock` on a machine whose keychain was empty). */
  async storeKeysInKeychain(keys: KeyRing): Promise<SetupResult['keychain']> {
    return keys.withMasterKey((masterKey) => this.storeInKeychain(masterKey));
  }

  private async storeInKeychain(masterKey: Buffer): Promise<SetupResult['keychain']> {
    const store = this.options.secretStore;
    if (!store) return { stored: false, reason: 'this platform has no OS keychain' };
    try {
      await store.set(keychainAccount(this.options.dataDir), masterKey.toString('hex'));
      return { stored: true };
    } catch (error) {
      this.options.logger?.warn({ reason: (error as Error).message }, 'The master key could not be stored in the OS keychain');
      return { stored: false, reason: (error as Error).message };
    }
  }

  private async requireVault(): Promise<string> {
    const vault = await readVault(this.vaultPath);
    if (vault === undefined) throw new KeyManagerError(KeyManagerErrorCode.NotSetUp, `aico is not set up yet (no ${this.vaultPath}). Run "aico setup".`);
    return vault;
  }

  private async readAttempts(): Promise<Attempts> {
    try {
      const parsed = JSON.parse(await readFile(this.attemptsPath, 'utf8')) as Partial<Attempts>;
      return { failures: Number(parsed.failures) || 0, lastFailureAt: Number(parsed.lastFailureAt) || 0 };
    } catch {
      return { failures: 0, lastFailureAt: 0 };
    }
  }

  /** Persisted, so restarting the CLI does not reset the back-off. */
  private async assertMayAttempt(): Promise<void> {
    const { failures, lastFailureAt } = await this.readAttempts();
    if (failures < FREE_ATTEMPTS) return;
    const { firstDelayMs, maxDelayMs } = this.options.backoff ?? DEFAULT_UNLOCK_BACKOFF;
    const waitMs = Math.min(firstDelayMs * 2 ** (failures - FREE_ATTEMPTS), Math.max(maxDelayMs, firstDelayMs));
    const remainingMs = lastFailureAt + waitMs - this.now();
    if (remainingMs > 0) {
      throw new KeyManagerError(
        KeyManagerErrorCode.TooManyAttempts,
        `Too many wrong passwords (${failures}). Try again in ${Math.ceil(remainingMs / 1_000)} s.`,
        { retryAfterMs: String(remainingMs) },
      );
    }
  }

  private async recordFailure(): Promise<Attempts> {
    const attempts = await this.readAttempts();
    const next = { failures: attempts.failures + 1, lastFailureAt: this.now() };
    await writeFile(this.attemptsPath, JSON.stringify(next), { mode: 0o600 });
    return next;
  }

  private async resetFailures(): Promise<void> {
    await writeFile(this.attemptsPath, JSON.stringify({ failures: 0, lastFailureAt: 0 }), { mode: 0o600 });
  }
}
