import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KeyErrorCode, KeyRing } from '@aico/keys';
import { KeyManager } from './key-manager';
import { keychainAccount, OsKeychain } from './secret-store';
import { MemoryKeychain } from './testing/memory-keychain';
import { loadServiceKeys } from './service-keys';

const PASSWORD = 'Correct-Horse-7-battery';
/** Set by tools/scripts/with-secret-service.sh when the tests run against a real, unlocked Secret Service. */
const secretServiceAvailable = process.env['AICO_TEST_SECRET_SERVICE'] === '1';

describe('loadServiceKeys', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aico-service-keys-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('takes the keychain first, then the key file, then (development only) the development key', async () => {
    const keychain = new MemoryKeychain();
    const master = randomBytes(32);
    const keyFile = join(dir, 'master.key');
    await writeFile(keyFile, master.toString('hex'), { mode: 0o600 });

    const fromFile = await loadServiceKeys({ profile: 'production', dataDir: dir, masterKeyFile: keyFile, secretStore: keychain });
    expect(fromFile.source).toBe(`key file ${keyFile}`);
    expect(fromFile.keychainReason).toContain('holds no master key');
    expect(fromFile.keys.purposeKey('database')).toEqual(new KeyRing(master, 't').purposeKey('database'));

    const other = randomBytes(32);
    keychain.entries.set(keychainAccount(dir), other.toString('hex'));
    const fromKeychain = await loadServiceKeys({ profile: 'production', dataDir: dir, masterKeyFile: keyFile, secretStore: keychain });
    expect(fromKeychain.source).toContain('test keychain');
    expect(fromKeychain.keys.purposeKey('database')).toEqual(new KeyRing(other, 't').purposeKey('database'));

    const development = await loadServiceKeys({ profile: 'development', dataDir: join(dir, 'dev'), secretStore: new MemoryKeychain() });
    expect(development.developmentOnly).toBe(true);
  });

  it('refuses production without a key, naming the keychain reason and the ways out', async () => {
    await expect(loadServiceKeys({ profile: 'production', dataDir: dir })).rejects.toMatchObject({
      code: KeyErrorCode.NoKeySource,
      message: expect.stringMatching(/this platform has no OS keychain.*aico unlock.*AICO_MASTER_KEY_FILE/),
    });
  });

  it(
    secretServiceAvailable
      ? 'stores the key in the real Secret Service at setup, and a fresh process starts from it without a password'
      : 'says clearly that this machine has no reachable keychain (run npm test for the Secret Service variant)',
    async () => {
      const manager = new KeyManager({ dataDir: dir, secretStore: new OsKeychain() });
      const { keys, keychain } = await manager.setup(PASSWORD);
      try {
        if (!secretServiceAvailable) {
          expect(keychain).toMatchObject({ stored: false, reason: expect.stringContaining('could not store the master key') });
          return;
        }
        expect(keychain).toEqual({ stored: true });
        // A separate process, as a service restart would be: no password, only the keychain. It derives the database
        // key independently (HKDF by hand), which also checks the key-derivation contract.
        const restart = `
          const { Entry } = require('@napi-rs/keyring');
          const { createHash, hkdfSync } = require('node:crypto');
          const account = 'master-key:' + createHash('sha256').update(process.argv[1]).digest('hex').slice(0, 16);
          const master = Buffer.from(new Entry('aico', account, { linux: { store: 'secret-service' } }).getPassword(), 'hex');
          process.stdout.write(Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), Buffer.from('aico/database/v1'), 32)).toString('hex'));
        `;
        const child = await promisify(execFile)(process.execPath, ['-e', restart, dir]);
        expect(child.stdout).toBe(keys.purposeKey('database').toString('hex'));
      } finally {
        await new OsKeychain().delete(keychainAccount(dir)).catch(() => undefined);
      }
    },
  );

  it('reports a keychain without D-Bus as unavailable, with the fallbacks named', async () => {
    // The headless path, in a process with no reachable session bus.
    const probe = `
      const { findCredentials } = require('@napi-rs/keyring');
      try { findCredentials('aico'); console.log('reachable'); } catch (e) { console.log('unreachable: ' + e.message); }
    `;
    const env = { PATH: process.env['PATH'], DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', probe], { env, cwd: process.cwd() });
    if (process.platform === 'linux') expect(stdout).toMatch(/^unreachable: .*(bus|D-Bus|dbus|address)/i);
    else expect(stdout).toMatch(/^(un)?reachable/);
  });
});
