import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyRing } from '@aico/keys';
import { captureLogger } from '@aico/logging';
import { KeyManager, VAULT_FILE, type SetupPhase } from './key-manager';
import { KeyManagerErrorCode } from './key-manager.error';
import { passwordProblems } from './password-policy';
import { keychainAccount, OsKeychain } from './secret-store';
import { MemoryKeychain } from './testing/memory-keychain';

const PASSWORD = 'Correct-Horse-7-battery';
const NEW_PASSWORD = 'a much longer passphrase for aico';

describe('KeyManager', () => {
  let dir: string;
  let clock: number;
  let keychain: MemoryKeychain;
  let logs: ReturnType<typeof captureLogger>;
  let manager: KeyManager;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aico-keymanager-'));
    clock = 1_000_000;
    keychain = new MemoryKeychain();
    logs = captureLogger('keys');
    manager = new KeyManager({ dataDir: dir, secretStore: keychain, logger: logs.logger, now: () => clock });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('sets up: a wrapped master key (0600, no password inside), the key in the keychain, progress reported', async () => {
    const phases: SetupPhase[] = [];
    const { keys, keychain: stored } = await manager.setup(PASSWORD, (phase) => phases.push(phase));
    expect(phases).toEqual(['checking-password', 'deriving-key', 'writing-vault', 'storing-in-keychain', 'done']);
    expect(stored).toEqual({ stored: true });
    const vaultPath = join(dir, VAULT_FILE);
    expect((await stat(vaultPath)).mode & 0o777).toBe(0o600);
    const vault = await readFile(vaultPath, 'utf8');
    expect(vault).not.toContain(PASSWORD);
    const masterHex = keychain.entries.get(keychainAccount(dir))!;
    expect(masterHex).toMatch(/^[0-9a-f]{64}$/);
    expect(vault).not.toContain(masterHex);
    expect(vault).not.toContain(Buffer.from(masterHex, 'hex').toString('base64'));
    expect(JSON.parse(vault)).toMatchObject({ kdf: { algorithm: 'argon2id', memoryKiB: 65_536, iterations: 3, parallelism: 4 } });
    expect(keys.purposeKey('database')).toHaveLength(32);
  });

  it('adopts an existing master key (the development key services already use) instead of making a new one', async () => {
    const existing = Buffer.alloc(32, 7);
    const { keys } = await manager.setup(PASSWORD, undefined, existing);
    expect(keys.purposeKey('database')).toEqual(new KeyRing(existing, 't').purposeKey('database'));
    expect((await manager.unlock(PASSWORD)).purposeKey('database')).toEqual(keys.purposeKey('database'));
  });

  it('unlocks with the password, and services start from the keychain with the same keys', async () => {
    const { keys } = await manager.setup(PASSWORD);
    const unlocked = await manager.unlock(PASSWORD);
    expect(unlocked.purposeKey('database')).toEqual(keys.purposeKey('database'));
    const fromKeychain = await manager.keysFromKeychain();
    expect(fromKeychain.keys!.purposeKey('file')).toEqual(keys.purposeKey('file'));
  });

  it('refuses a wrong password at once, and backs off after repeated failures (persisted across instances)', async () => {
    await manager.setup(PASSWORD);
    for (let i = 0; i < 3; i++)
      await expect(manager.unlock('Wrong-password-123')).rejects.toMatchObject({
        code: KeyManagerErrorCode.WrongPassword,
        message: 'The master password is wrong.',
      });
    const again = new KeyManager({ dataDir: dir, secretStore: keychain, now: () => clock });
    await expect(again.unlock(PASSWORD)).rejects.toMatchObject({
      code: KeyManagerErrorCode.TooManyAttempts,
      message: expect.stringContaining('Try again in 1 s'),
    });
    clock += 1_001;
    await expect(again.unlock('Wrong-password-123')).rejects.toMatchObject({ code: KeyManagerErrorCode.WrongPassword });
    await expect(again.unlock(PASSWORD)).rejects.toMatchObject({
      code: KeyManagerErrorCode.TooManyAttempts,
      message: expect.stringContaining('Try again in 2 s'),
    });
    clock += 2_001;
    await expect(again.unlock(PASSWORD)).resolves.toBeDefined();
    // Success resets the count.
    await expect(again.unlock('Wrong-password-123')).rejects.toMatchObject({ code: KeyManagerErrorCode.WrongPassword });
    await expect(again.unlock(PASSWORD)).resolves.toBeDefined();
  });

  it('takes its back-off from the options (a long first delay for tests that cross processes), doubling up to the maximum', async () => {
    await manager.setup(PASSWORD);
    const slow = new KeyManager({ dataDir: dir, secretStore: keychain, now: () => clock, backoff: { firstDelayMs: 3_600_000, maxDelayMs: 5 * 60_000 } });
    for (let i = 0; i < 3; i++) await expect(slow.unlock('Wrong-password-123')).rejects.toMatchObject({ code: KeyManagerErrorCode.WrongPassword });
    clock += 30 * 60_000;
    await expect(slow.unlock(PASSWORD)).rejects.toMatchObject({
      code: KeyManagerErrorCode.TooManyAttempts,
      message: expect.stringContaining('Try again in 1800 s'),
    });
    clock += 30 * 60_000;
    await expect(slow.unlock('Wrong-password-123')).rejects.toMatchObject({ code: KeyManagerErrorCode.WrongPassword });
    // A first delay above the maximum is not cut down to it: the maximum only caps the doubling.
    await expect(slow.unlock(PASSWORD)).rejects.toMatchObject({
      code: KeyManagerErrorCode.TooManyAttempts,
      message: expect.stringContaining('Try again in 3600 s'),
    });
  });

  it('changes the password by re-wrapping the same master key', async () => {
    const { keys } = await manager.setup(PASSWORD);
    await expect(manager.changePassword('Wrong-password-123', NEW_PASSWORD)).rejects.toMatchObject({ code: KeyManagerErrorCode.WrongPassword });
    await expect(manager.changePassword(PASSWORD, 'short')).rejects.toMatchObject({ code: KeyManagerErrorCode.WeakPassword });
    await manager.changePassword(PASSWORD, NEW_PASSWORD);
    await expect(manager.unlock(PASSWORD)).rejects.toMatchObject({ code: KeyManagerErrorCode.WrongPassword });
    expect((await manager.unlock(NEW_PASSWORD)).purposeKey('backup')).toEqual(keys.purposeKey('backup'));
  });

  it('tells a damaged or altered vault from a wrong password', async () => {
    await manager.setup(PASSWORD);
    const path = join(dir, VAULT_FILE);
    const vault = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    const ciphertext = Buffer.from(String(vault['ciphertext']), 'base64');
    ciphertext[0]! ^= 1;
    await writeFile(path, JSON.stringify({ ...vault, ciphertext: ciphertext.toString('base64') }));
    await expect(manager.unlock(PASSWORD)).rejects.toMatchObject({
      code: KeyManagerErrorCode.VaultTampered,
      message: expect.stringContaining('damaged or altered'),
    });
    await writeFile(path, '{ not json');
    await expect(manager.unlock(PASSWORD)).rejects.toMatchObject({ code: KeyManagerErrorCode.VaultTampered });
    await writeFile(path, JSON.stringify({ ...vault, version: 9 }));
    await expect(manager.unlock(PASSWORD)).rejects.toMatchObject({ code: KeyManagerErrorCode.VaultUnsupported });
  });

  it('refuses weak passwords with what to change, a second setup, and unlock before setup', async () => {
    await expect(manager.unlock(PASSWORD)).rejects.toMatchObject({ code: KeyManagerErrorCode.NotSetUp, message: expect.stringContaining('aico setup') });
    await expect(manager.setup('password')).rejects.toMatchObject({ code: KeyManagerErrorCode.WeakPassword, message: expect.stringContaining('at least 12') });
    await manager.setup(PASSWORD);
    await expect(manager.setup(PASSWORD)).rejects.toMatchObject({ code: KeyManagerErrorCode.AlreadySetUp });
  });

  it('says why services cannot start from the keychain, and never logs a secret', async () => {
    expect(await new KeyManager({ dataDir: dir }).keysFromKeychain()).toEqual({ keys: undefined, reason: 'this platform has no OS keychain' });
    expect((await manager.keysFromKeychain()).keys).toBeUndefined();
    const { keys } = await manager.setup(PASSWORD);
    await manager.unlock('Wrong-password-123').catch(() => undefined);
    await manager.changePassword(PASSWORD, NEW_PASSWORD);
    const text = JSON.stringify(logs.lines);
    expect(logs.lines.length).toBeGreaterThan(2);
    for (const secret of [PASSWORD, NEW_PASSWORD, 'Wrong-password-123']) expect(text).not.toContain(secret);
    keys.withMasterKey((master) => {
      expect(text).not.toContain(master.toString('hex'));
      expect(text).not.toContain(master.toString('base64'));
    });
  });

  it('reports the OS keychain of a machine without one clearly, naming the alternatives', async () => {
    // This machine (and CI without D-Bus) has no Secret Service: the real binding must fail with its reason.
    const os = new OsKeychain();
    const result = await new KeyManager({ dataDir: dir, secretStore: os }).keysFromKeychain();
    expect(result.keys).toBeUndefined();
    // Without a Secret Service: the binding's own reason plus the ways out; with one: no entry for this data dir.
    const reason = (result as { reason: string }).reason;
    if (process.env['AICO_TEST_SECRET_SERVICE'] === '1') expect(reason).toContain('holds no master key');
    else expect(reason).toMatch(/could not be read: .+AICO_MASTER_KEY_FILE|holds no master key/);
  });
});

describe('password policy', () => {
  it.each([
    ['Correct-Horse-7', []],
    ['a passphrase of twenty+ chars', []],
    ['short1A!', ['it has 8 characters; use at least 12 (or a passphrase of 20+)']],
    ['alllowercaseletters', ['mix at least three kinds of characters; it lacks an uppercase letter, a digit, a symbol or space']],
  ])('%s', (password, problems) => {
    expect(passwordProblems(password)).toEqual(problems);
  });
});
