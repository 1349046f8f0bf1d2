import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyErrorCode } from './key.error';
import { DevelopmentKeyProvider, KeyFileProvider, selectMasterKeyProvider } from './master-key-provider';

describe('master key providers', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aico-keys-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('reads a 0600 key file as hex (with newline) or as 32 raw bytes', async () => {
    const key = randomBytes(32);
    const hexFile = join(dir, 'hex.key');
    await writeFile(hexFile, `${key.toString('hex')}\n`, { mode: 0o600 });
    expect(await new KeyFileProvider(hexFile).load()).toEqual(key);
    const rawFile = join(dir, 'raw.key');
    await writeFile(rawFile, key, { mode: 0o600 });
    expect(await new KeyFileProvider(rawFile).load()).toEqual(key);
  });

  it('refuses a key file other users can read, naming the fix', async () => {
    const file = join(dir, 'open.key');
    await writeFile(file, randomBytes(32).toString('hex'));
    await chmod(file, 0o644);
    await expect(new KeyFileProvider(file).load()).rejects.toMatchObject({
      code: KeyErrorCode.KeyFilePermissions,
      message: expect.stringContaining(`chmod 600 ${file}`),
    });
  });

  it('refuses a missing file and a file of the wrong size, without echoing its content', async () => {
    await expect(new KeyFileProvider(join(dir, 'missing.key')).load()).rejects.toMatchObject({ code: KeyErrorCode.KeyFileNotFound });
    const file = join(dir, 'short.key');
    await writeFile(file, 'secret-looking-text', { mode: 0o600 });
    const error = await new KeyFileProvider(file).load().catch((e: unknown) => e as Error);
    expect(error).toMatchObject({ code: KeyErrorCode.KeyFileInvalid });
    expect((error as Error).message).not.toContain('secret-looking-text');
  });

  it('creates the development key once, mode 0600, and reuses it', async () => {
    const provider = new DevelopmentKeyProvider(join(dir, 'data'));
    const first = await provider.load();
    expect(provider.created).toBe(true);
    expect(provider.developmentOnly).toBe(true);
    expect((await stat(provider.path)).mode & 0o777).toBe(0o600);
    const again = new DevelopmentKeyProvider(join(dir, 'data'));
    expect(await again.load()).toEqual(first);
    expect(again.created).toBe(false);
    expect((await readFile(provider.path, 'utf8')).trim()).toBe(first.toString('hex'));
  });

  it('gives every one of several services starting at once the same complete development key', async () => {
    const dataDir = join(dir, 'race');
    const providers = Array.from({ length: 8 }, () => new DevelopmentKeyProvider(dataDir));
    const keys = await Promise.all(providers.map((provider) => provider.load()));
    for (const key of keys) expect(key).toEqual(keys[0]);
    expect(providers.filter((provider) => provider.created)).toHaveLength(1);
    expect((await readdir(dataDir)).sort()).toEqual(['dev-master.key']);
  });

  it('prefers a configured key file, falls back to the development key, and refuses production without a source', () => {
    expect(selectMasterKeyProvider({ masterKeyFile: '/run/credentials/master.key', profile: 'production', dataDir: dir })).toBeInstanceOf(KeyFileProvider);
    expect(selectMasterKeyProvider({ profile: 'development', dataDir: dir })).toBeInstanceOf(DevelopmentKeyProvider);
    expect(() => selectMasterKeyProvider({ profile: 'production', dataDir: dir })).toThrow(expect.objectContaining({ code: KeyErrorCode.NoKeySource }));
  });
});
