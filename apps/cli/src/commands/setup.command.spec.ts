// Finding 7 of issue 14: `aico setup` on a development data directory adopts the plaintext development key and
// removes it once the key is in the OS keychain; without a keychain the file is still how services start, so it
// stays and setup says so. `aico unlock` removes one left behind. The keychain is a stand-in (the edge); the vault,
// the key file and the Argon2id wrap are real.
import { randomBytes } from 'node:crypto';
import { access, link, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseConfigSchema, loadConfig } from '@aico/config';
import { KeyManager, keychainAccount, type SecretStore } from '@aico/key-manager';
import type { CliContext } from '../cli-context';
import { runCli } from '../cli-program';
import { ExitCode } from '../exit-codes';

const PASSWORD = 'Correct-Horse-7-battery';
/** Cheap Argon2id: the wrap is what matters here, not its cost. */
const KDF = { memoryKiB: 8_192, iterations: 1, parallelism: 1 };

class StandInKeychain implements SecretStore {
  readonly description = 'OS keychain';
  readonly entries = new Map<string, string>();
  constructor(public reachable: boolean) {}
  async get(account: string): Promise<string | undefined> {
    if (!this.reachable) throw new Error('no Secret Service');
    return this.entries.get(account);
  }
  async set(account: string, secret: string): Promise<void> {
    if (!this.reachable) throw new Error('no Secret Service');
    this.entries.set(account, secret);
  }
  async delete(account: string): Promise<void> {
    this.entries.delete(account);
  }
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe('aico setup and unlock with a development key in the data directory', () => {
  let dataDir: string;
  let devKeyPath: string;
  let passwordFile: string;
  let keychain: StandInKeychain;
  let context: CliContext;
  let out: string[];
  let errors: string[];

  const aico = (...args: string[]) =>
    runCli(
      ['node', 'aico', ...args, '--password-file', passwordFile],
      () => context,
      (text) => void errors.push(text),
    );

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'aico-setup-'));
    devKeyPath = join(dataDir, 'dev-master.key');
    passwordFile = join(dataDir, 'password.txt');
    await writeFile(passwordFile, `${PASSWORD}\n${PASSWORD}\n`, { mode: 0o600 });
    keychain = new StandInKeychain(true);
    const { config } = loadConfig({ schema: baseConfigSchema, env: { AICO_DATA_DIR: dataDir, AICO_PROFILE: 'development' } });
    out = [];
    errors = [];
    context = {
      config,
      keyManager: new KeyManager({ dataDir, secretStore: keychain, kdfCost: KDF }),
      out: (line) => out.push(line),
      progress: () => undefined,
    };
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('adopts the development key into the vault and the keychain, then overwrites and removes the file', async () => {
    const developmentKey = randomBytes(32);
    await writeFile(devKeyPath, `${developmentKey.toString('hex')}\n`, { mode: 0o600 });
    const peek = join(dataDir, 'peek');
    await link(devKeyPath, peek); // a second name for the file's blocks, to see what is left in them

    expect(await aico('setup')).toBe(ExitCode.Ok);
    expect(await exists(devKeyPath)).toBe(false);
    expect((await readFile(peek)).every((byte) => byte === 0)).toBe(true);
    expect(out).toContain(
      `Removed the plaintext development key ${devKeyPath} (overwritten, then deleted): the master key is in the vault and the OS keychain.`,
    );
    expect(keychain.entries.get(keychainAccount(dataDir))).toBe(developmentKey.toString('hex'));
    const unlocked = await context.keyManager.unlock(PASSWORD);
    expect(unlocked.withMasterKey((key) => key.equals(developmentKey))).toBe(true);
    unlocked.destroy();
  });

  it('keeps the development key while the keychain cannot hold the key (services start from it), saying why and what to do', async () => {
    keychain.reachable = false;
    const developmentKey = randomBytes(32).toString('hex');
    await writeFile(devKeyPath, `${developmentKey}\n`, { mode: 0o600 });
    expect(await aico('setup')).toBe(ExitCode.Ok);
    expect(await readFile(devKeyPath, 'utf8')).toBe(`${developmentKey}\n`);
    expect(out.at(-1)).toMatch(
      new RegExp(
        `^The development key ${devKeyPath} stays: without the OS keychain .* Run "aico unlock": once the master key is in the OS keychain it removes the file\\.`,
      ),
    );

    // Later the keychain works: unlock puts the key there and removes the file that holds the same key.
    keychain.reachable = true;
    out = [];
    expect(await aico('unlock')).toBe(ExitCode.Ok);
    expect(await exists(devKeyPath)).toBe(false);
    expect(out).toEqual([
      'Unlocked: the master key is in the OS keychain; services start without a password.',
      expect.stringMatching(/^Removed the plaintext development key/),
    ]);
  });

  it('unlock leaves a development key that holds another key than the vault (data may be encrypted under it)', async () => {
    expect(await aico('setup')).toBe(ExitCode.Ok);
    const otherKey = `${randomBytes(32).toString('hex')}\n`;
    await writeFile(devKeyPath, otherKey, { mode: 0o600 });
    out = [];
    expect(await aico('unlock')).toBe(ExitCode.Ok);
    expect(await readFile(devKeyPath, 'utf8')).toBe(otherKey);
    expect(out.at(-1)).toBe(
      `Left ${devKeyPath} in place: it holds another key than the vault, and data that services wrote with it can only be read with it. "aico doctor" fails while it is there.`,
    );
  });
});
