import { randomBytes } from 'node:crypto';
import { chmod, link, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

  it('only reads a development key when told not to create one (the CLI), and says none exists yet', async () => {
    const dataDir = join(dir, 'cli');
    await mkdir(dataDir);
    await expect(new DevelopmentKeyProvider(dataDir, { create: false }).load()).rejects.toMatchObject({
      code: KeyErrorCode.KeyFileNotFound,
      message: expect.stringContaining('no aico service has started in the development profile'),
    });
    expect(await readdir(dataDir)).toEqual([]);
    expect(selectMasterKeyProvider({ profile: 'development', dataDir, createDevelopmentKey: false })).toBeInstanceOf(DevelopmentKeyProvider);
    await expect(selectMasterKeyProvider({ profile: 'development', dataDir, createDevelopmentKey: false }).load()).rejects.toMatchObject({
      code: KeyErrorCode.KeyFileNotFound,
    });
    const key = randomBytes(32);
    await writeFile(join(dataDir, 'dev-master.key'), `${key.toString('hex')}\n`, { mode: 0o600 });
    expect(await new DevelopmentKeyProvider(dataDir, { create: false }).load()).toEqual(key);
  });

  it('retires the development key once adopted: overwritten in place, then removed; a different key stays', async () => {
    const dataDir = join(dir, 'adopted');
    const provider = new DevelopmentKeyProvider(dataDir);
    const key = await provider.load();
    expect(await provider.retire(randomBytes(32))).toBe('different');
    expect(await readFile(provider.path, 'utf8')).toBe(`${key.toString('hex')}\n`);
    // A second name for the same inode shows what the blocks hold after the key's own name is gone.
    const peek = join(dir, 'peek');
    await link(provider.path, peek);
    expect(await provider.retire(key)).toBe('removed');
    expect(await readdir(dataDir)).toEqual([]);
    const left = await readFile(peek);
    expect(left).toHaveLength(65);
    expect(left.every((byte) => byte === 0)).toBe(true);
    expect(await provider.retire(key)).toBe('absent');
  });

  it('prefers a configured key file, falls back to the development key, and refuses production without a source', () => {
    expect(selectMasterKeyProvider({ masterKeyFile: '/run/credentials/master.key', profile: 'production', dataDir: dir })).toBeInstanceOf(KeyFileProvider);
    expect(selectMasterKeyProvider({ profile: 'development', dataDir: dir })).toBeInstanceOf(DevelopmentKeyProvider);
    expect(() => selectMasterKeyProvider({ profile: 'production', dataDir: dir })).toThrow(expect.objectContaining({ code: KeyErrorCode.NoKeySource }));
  });
});
