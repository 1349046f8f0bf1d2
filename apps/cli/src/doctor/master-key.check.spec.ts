// The keychain and master-key checks against a stand-in keychain (reachable, empty, holding a key, or failing with
// the platform's own words) and real key files in a temporary data directory.
import { randomBytes } from 'node:crypto';
import { access, chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyManagerError, KeyManagerErrorCode, keychainAccount, type SecretStore } from '@aico/key-manager';
import { KeyRing } from '@aico/keys';
import { checkKeychain, checkMasterKey, probeKeychain, type KeySelection } from './master-key.check';

const DBUS_REASON =
  'Platform failure: DBus error: Using X11 for dbus-daemon autolaunch was disabled at compile time, set your DBUS_SESSION_BUS_ADDRESS instead';

class StandInKeychain implements SecretStore {
  readonly description = 'OS keychain';
  readonly entries = new Map<string, string>();
  unreachable = false;

  async get(account: string): Promise<string | undefined> {
    // As OsKeychain reports it: its own advice in the message, the platform's words in details.reason.
    if (this.unreachable)
      throw new KeyManagerError(KeyManagerErrorCode.KeychainUnavailable, `The OS keychain could not be read: ${DBUS_REASON}. On Linux ...`, {
        reason: DBUS_REASON,
      });
    return this.entries.get(account);
  }
  async set(account: string, secret: string): Promise<void> {
    this.entries.set(account, secret);
  }
  async delete(account: string): Promise<void> {
    this.entries.delete(account);
  }
}

describe('keychain and master key checks', () => {
  let dataDir: string;
  let keychain: StandInKeychain;
  const exists = (path: string) =>
    access(path).then(
      () => true,
      () => false,
    );
  const selection = (overrides: Partial<KeySelection> = {}): KeySelection => ({ dataDir, profile: 'production', platform: 'linux', ...overrides });

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aico-doctor-keys-'));
    keychain = new StandInKeychain();
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('says the keychain holds the master key, and services start with it', async () => {
    const master = randomBytes(32);
    keychain.entries.set(keychainAccount(dataDir), master.toString('hex'));
    const probe = await probeKeychain(keychain, dataDir);
    expect(checkKeychain(probe, { ...selection(), setUp: true })).toEqual({
      name: 'keychain',
      status: 'ok',
      detail: `The Secret Service (D-Bus) is reachable and holds the master key for ${dataDir}.`,
    });
    const outcome = await checkMasterKey(probe, selection(), exists);
    expect(outcome.result.status).toBe('ok');
    expect(outcome.keys!.curveKeyPair('cli')).toEqual(new KeyRing(master, 'expected').curveKeyPair('cli'));
  });

  it('reports an unreachable keychain with the exact D-Bus reason and names the alternatives', async () => {
    keychain.unreachable = true;
    const probe = await probeKeychain(keychain, dataDir);
    expect(probe).toEqual({ state: 'unreachable', reason: DBUS_REASON });

    const production = checkKeychain(probe, { ...selection(), setUp: true });
    expect(production.status).toBe('fail');
    expect(production.detail).toBe(
      `The Secret Service (D-Bus) cannot be reached: ${DBUS_REASON}. With the production profile and no AICO_MASTER_KEY_FILE, services cannot start.`,
    );
    expect(production.fix).toContain('Run a Secret Service (GNOME Keyring or KWallet) in your login session');
    expect(production.fix).toContain('AICO_MASTER_KEY_FILE');
    expect(production.fix).toContain('AICO_PROFILE=development');

    const development = checkKeychain(probe, { ...selection({ profile: 'development' }), setUp: false });
    expect(development).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining(`${DBUS_REASON}. Services fall back to the development key (development only).`),
    });
    expect(development.fix).not.toContain('AICO_PROFILE');
    expect(checkKeychain(probe, { ...selection({ masterKeyFile: '/run/credentials/aico/master.key' }), setUp: true })).toEqual({
      name: 'keychain',
      status: 'ok',
      detail: `The Secret Service (D-Bus) cannot be reached: ${DBUS_REASON}. Services use AICO_MASTER_KEY_FILE (/run/credentials/aico/master.key) instead.`,
    });
    expect(checkKeychain(probe, { ...selection({ platform: 'darwin' }), setUp: true }).fix).toContain('Unlock the macOS Keychain for this user');
  });

  it('tells "aico unlock" from "aico setup" when the keychain is reachable but empty', async () => {
    const probe = await probeKeychain(keychain, dataDir);
    expect(probe).toEqual({ state: 'empty' });
    expect(checkKeychain(probe, { ...selection({ profile: 'development' }), setUp: true })).toMatchObject({
      status: 'warn',
      fix: expect.stringContaining('Run "aico unlock"'),
    });
    expect(checkKeychain(probe, { ...selection(), setUp: false })).toMatchObject({ status: 'fail', fix: expect.stringContaining('Run "aico setup"') });
  });

  it('fails an entry that is not a 32-byte key', async () => {
    keychain.entries.set(keychainAccount(dataDir), 'abcd');
    const probe = await probeKeychain(keychain, dataDir);
    expect(checkKeychain(probe, { ...selection(), setUp: true })).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('is not a 32-byte master key'),
    });
  });

  it('loads AICO_MASTER_KEY_FILE as a service would, and fails one others can read with the chmod to run', async () => {
    const keyFile = join(dataDir, 'master key');
    await writeFile(keyFile, randomBytes(32).toString('hex'), { mode: 0o600 });
    const empty = await probeKeychain(keychain, dataDir);
    const good = await checkMasterKey(empty, selection({ masterKeyFile: keyFile }), exists);
    expect(good.result).toEqual({ name: 'master-key', status: 'ok', detail: `Services start with the master key from the key file ${keyFile}.` });
    expect(good.keys).toBeInstanceOf(KeyRing);

    await chmod(keyFile, 0o644);
    const open = await checkMasterKey(empty, selection({ masterKeyFile: keyFile }), exists);
    expect(open.keys).toBeUndefined();
    expect(open.result).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('is readable by other users (mode 644)'),
      fix: `chmod 600 '${keyFile}'`,
    });
  });

  it('never creates the development key, and fails production with no key source at all', async () => {
    const empty = await probeKeychain(keychain, dataDir);
    const development = await checkMasterKey(empty, selection({ profile: 'development' }), exists);
    expect(development).toEqual({
      result: expect.objectContaining({
        status: 'warn',
        detail: `No development key yet: the first service start creates ${join(dataDir, 'dev-master.key')}. It is for development only.`,
      }),
    });
    expect(await exists(join(dataDir, 'dev-master.key'))).toBe(false);

    await writeFile(join(dataDir, 'dev-master.key'), `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const existing = await checkMasterKey(empty, selection({ profile: 'development' }), exists);
    expect(existing.result).toMatchObject({ status: 'warn', detail: expect.stringContaining('Services start with the development key') });
    expect(existing.keys!.source).toBe(`development key file ${join(dataDir, 'dev-master.key')}`);

    const production = await checkMasterKey(empty, selection(), exists);
    expect(production.result).toMatchObject({ status: 'fail', fix: expect.stringContaining('Run "aico unlock"') });
  });
});
