// Where services would get the master key at start, in their order (docs/architecture.md §5): the OS keychain entry for this
// data directory, the key file named by AICO_MASTER_KEY_FILE, the development key. Read-only: unlike a starting
// service, the doctor never creates a development key.
import { KeyManagerError, keychainAccount, type SecretStore } from '@aico/key-manager';
import { DevelopmentKeyProvider, KeyError, KeyErrorCode, KeyFileProvider, KeyRing } from '@aico/keys';
import { checkResult, shellQuote, type CheckResult } from './doctor-check';

export type KeychainProbe =
  | { readonly state: 'holds'; readonly keys: KeyRing }
  | { readonly state: 'empty' }
  | { readonly state: 'invalid' }
  | { readonly state: 'unreachable'; readonly reason: string }
  | { readonly state: 'absent' };

export interface KeySelection {
  readonly dataDir: string;
  readonly profile: 'development' | 'production';
  readonly masterKeyFile?: string | undefined;
  readonly platform: NodeJS.Platform;
}

/** Asks the keychain once for this data directory's entry; the reason is kept verbatim when it cannot be reached. */
export async function probeKeychain(store: SecretStore | undefined, dataDir: string): Promise<KeychainProbe> {
  if (!store) return { state: 'absent' };
  let hex: string | undefined;
  try {
    hex = await store.get(keychainAccount(dataDir));
  } catch (error) {
    // OsKeychain wraps the platform's words ("DBus error: ...") with advice of its own; the doctor gives its own.
    const reason = error instanceof KeyManagerError ? (error.details['reason'] ?? error.message) : (error as Error).message;
    return { state: 'unreachable', reason };
  }
  if (!hex) return { state: 'empty' };
  const masterKey = Buffer.from(hex, 'hex');
  try {
    return { state: 'holds', keys: new KeyRing(masterKey, store.description) };
  } catch {
    return { state: 'invalid' };
  } finally {
    masterKey.fill(0);
  }
}

export function keychainBackend(platform: NodeJS.Platform): string {
  switch (platform) {
    case 'linux':
      return 'the Secret Service (D-Bus)';
    case 'darwin':
      return 'the macOS Keychain';
    case 'win32':
      return 'the Windows Credential Manager';
    default:
      return 'the OS keychain';
  }
}

function alternatives({ platform, profile }: KeySelection): string {
  const keychain =
    platform === 'linux' ? 'Run a Secret Service (GNOME Keyring or KWallet) in your login session' : `Unlock ${keychainBackend(platform)} for this user`;
  const keyFile = 'set AICO_MASTER_KEY_FILE to a 0600 file holding the master key (a systemd credential or Docker secret)';
  // In the development profile that last way out is already taken.
  if (profile === 'development') return `${keychain}, or ${keyFile}.`;
  return `${keychain}; or ${keyFile}; or, for development only, use the development profile (AICO_PROFILE=development), which keeps a generated key in the data directory.`;
}

/** Whether the keychain can be reached and holds this data directory's master key, and what services do if not. */
export function checkKeychain(probe: KeychainProbe, selection: KeySelection & { readonly setUp: boolean }): CheckResult {
  const backend = keychainBackend(selection.platform);
  const fallback = selection.masterKeyFile
    ? { status: 'ok' as const, note: ` Services use AICO_MASTER_KEY_FILE (${selection.masterKeyFile}) instead.` }
    : selection.profile === 'development'
      ? { status: 'warn' as const, note: ' Services fall back to the development key (development only).' }
      : { status: 'fail' as const, note: ' With the production profile and no AICO_MASTER_KEY_FILE, services cannot start.' };
  switch (probe.state) {
    case 'holds':
      return checkResult('keychain', 'ok', `${capitalize(backend)} is reachable and holds the master key for ${selection.dataDir}.`);
    case 'invalid':
      return checkResult(
        'keychain',
        'fail',
        `The ${backend} entry for ${selection.dataDir} is not a 32-byte master key; services refuse it.`,
        'Run "aico unlock": it verifies your master password and stores the key again.',
      );
    case 'empty':
      return checkResult(
        'keychain',
        fallback.status,
        `${capitalize(backend)} is reachable but holds no master key for ${selection.dataDir}.${fallback.note}`,
        fallback.status === 'ok'
          ? undefined
          : selection.setUp
            ? 'Run "aico unlock": it asks your master password and puts the key back into the keychain.'
            : 'Run "aico setup": it makes a master key, protects it with your password and keeps it in the keychain.',
      );
    case 'unreachable':
      return checkResult(
        'keychain',
        fallback.status,
        `${capitalize(backend)} cannot be reached: ${probe.reason.replace(/\.$/, '')}.${fallback.note}`,
        fallback.status === 'ok' ? undefined : alternatives(selection),
      );
    case 'absent':
      return checkResult(
        'keychain',
        fallback.status,
        `This platform (${selection.platform}) has no OS keychain aico can use.${fallback.note}`,
        fallback.status === 'ok' ? undefined : alternatives(selection),
      );
  }
}

export interface MasterKeyOutcome {
  readonly result: CheckResult;
  /** The keys services would use, when the doctor could load them; the caller destroys them. */
  readonly keys?: KeyRing;
}

function keyFileFailure(path: string, error: unknown, what: string): MasterKeyOutcome {
  if (!(error instanceof KeyError)) throw error;
  const fix = error.code === KeyErrorCode.KeyFilePermissions ? `chmod 600 ${shellQuote(path)}` : undefined;
  return { result: checkResult('master-key', 'fail', `${what}: ${error.message}`, fix) };
}

/** The master key a starting service would use, loaded the way it would load it (permissions and format checked). */
export async function checkMasterKey(probe: KeychainProbe, selection: KeySelection, pathExists: (path: string) => Promise<boolean>): Promise<MasterKeyOutcome> {
  if (probe.state === 'holds') {
    return { result: checkResult('master-key', 'ok', `Services start with the master key from ${keychainBackend(selection.platform)}.`), keys: probe.keys };
  }
  if (selection.masterKeyFile) {
    const provider = new KeyFileProvider(selection.masterKeyFile);
    try {
      const keys = await loadKeys(provider);
      return { result: checkResult('master-key', 'ok', `Services start with the master key from the key file ${selection.masterKeyFile}.`), keys };
    } catch (error) {
      return keyFileFailure(selection.masterKeyFile, error, 'Services cannot start with AICO_MASTER_KEY_FILE');
    }
  }
  if (selection.profile === 'development') {
    const { path, description } = new DevelopmentKeyProvider(selection.dataDir);
    if (!(await pathExists(path))) {
      return { result: checkResult('master-key', 'warn', `No development key yet: the first service start creates ${path}. It is for development only.`) };
    }
    try {
      // Loaded as a plain key file: the development provider would make one that is missing.
      const keys = await loadKeys(new KeyFileProvider(path), description);
      return {
        result: checkResult(
          'master-key',
          'warn',
          `Services start with the development key ${path}: for development only, the key sits beside the data it protects.`,
          'For real data use the production profile (AICO_PROFILE=production) with "aico setup" (keychain) or AICO_MASTER_KEY_FILE.',
        ),
        keys,
      };
    } catch (error) {
      return keyFileFailure(path, error, 'Services cannot start with the development key');
    }
  }
  return {
    result: checkResult(
      'master-key',
      'fail',
      'Services cannot start: the keychain gives no master key, AICO_MASTER_KEY_FILE is not set, and the production profile has no development key.',
      'Run "aico unlock" (it puts the key into the keychain), or set AICO_MASTER_KEY_FILE to a 0600 file holding the master key.',
    ),
  };
}

async function loadKeys(provider: KeyFileProvider, description = provider.description): Promise<KeyRing> {
  const masterKey = await provider.load();
  try {
    return new KeyRing(masterKey, description);
  } finally {
    masterKey.fill(0);
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
