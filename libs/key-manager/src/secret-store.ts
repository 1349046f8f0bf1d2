// Where the unwrapped master key lives so services start without a password: the OS keychain (macOS Keychain,
// Windows Credential Manager, Linux Secret Service) through @napi-rs/keyring. When it cannot be reached, the
// reason is kept and said; nothing falls back to a plaintext file silently.
import { createHash } from 'node:crypto';
import { Entry, findCredentials } from '@napi-rs/keyring';
import { KeyManagerError, KeyManagerErrorCode } from './key-manager.error';

export interface SecretStore {
  /** What the store is, for messages ("OS keychain (Secret Service)"). */
  readonly description: string;
  get(account: string): Promise<string | undefined>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<void>;
}

const SERVICE = 'aico';
// On Linux the binding would otherwise fall back to the kernel keyring when the Secret Service does not answer in
// time: not persistent, and a silent change of where the key lives. Pin the Secret Service and say when it fails.
const ENTRY_OPTIONS = { linux: { store: 'secret-service' as const } };

/** One keychain entry per data directory, so two aico installations (or a test run) never share a key. */
export function keychainAccount(dataDir: string): string {
  return `master-key:${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`;
}

function unavailable(action: string, error: unknown): KeyManagerError {
  const reason = (error as Error).message;
  const hint =
    process.platform === 'linux'
      ? ' On Linux this needs a running Secret Service (GNOME Keyring or KWallet) on the session D-Bus; on a headless machine use AICO_MASTER_KEY_FILE (a systemd credential or Docker secret) or unlock with the password.'
      : '';
  return new KeyManagerError(KeyManagerErrorCode.KeychainUnavailable, `The OS keychain could not ${action}: ${reason}.${hint}`, { reason });
}

export class OsKeychain implements SecretStore {
  readonly description = 'OS keychain';

  async get(account: string): Promise<string | undefined> {
    try {
      const secret = new Entry(SERVICE, account, ENTRY_OPTIONS).getPassword();
      if (secret) return secret;
      // getPassword() answers null both for "no entry" and for "no keychain at all" (no D-Bus); listing the
      // service's entries fails in the second case, with the reason.
      findCredentials(SERVICE);
      return undefined;
    } catch (error) {
      throw unavailable('be read', error);
    }
  }

  async set(account: string, secret: string): Promise<void> {
    try {
      new Entry(SERVICE, account, ENTRY_OPTIONS).setPassword(secret);
    } catch (error) {
      throw unavailable('store the master key', error);
    }
  }

  async delete(account: string): Promise<void> {
    try {
      new Entry(SERVICE, account, ENTRY_OPTIONS).deletePassword();
    } catch (error) {
      throw unavailable('remove the master key', error);
    }
  }
}
