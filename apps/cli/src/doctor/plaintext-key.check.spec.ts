// Finding 7 of issue 14: a plaintext development key beside the vault fails the doctor, with the command to fix.
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPlaintextKey } from './plaintext-key.check';

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe('plaintext key check', () => {
  let dataDir: string;
  beforeEach(async () => (dataDir = await mkdtemp(join(tmpdir(), 'aico-doctor-plain-'))));
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  it('passes without a development key, and with one but no vault (development, not set up)', async () => {
    expect(await checkPlaintextKey(dataDir, exists)).toEqual({ name: 'plaintext-key', status: 'ok', detail: 'No plaintext master key in the data directory.' });
    await writeFile(join(dataDir, 'dev-master.key'), 'k', { mode: 0o600 });
    expect(await checkPlaintextKey(dataDir, exists)).toMatchObject({ status: 'ok' });
  });

  it('fails a development key beside the vault, naming "aico unlock" and the key-file way out', async () => {
    await writeFile(join(dataDir, 'master-key.vault.json'), '{}', { mode: 0o600 });
    await writeFile(join(dataDir, 'dev-master.key'), 'k', { mode: 0o600 });
    const key = join(dataDir, 'dev-master.key');
    expect(await checkPlaintextKey(dataDir, exists)).toEqual({
      name: 'plaintext-key',
      status: 'fail',
      detail: `A plaintext master key ${key} sits beside the vault ${join(dataDir, 'master-key.vault.json')}: whoever can read the data directory (or a copy of it) has the key, and the master password protects nothing.`,
      fix: `Run "aico unlock": once the master key is in the OS keychain it removes the file. Without a keychain, move the file out of the data directory (mv ${key} ~/.config/aico-master.key) and point AICO_MASTER_KEY_FILE at it.`,
    });
  });
});
