// The permission check of everything inside the data directory, on real temporary directories.
import { chmod, mkdir, mkdtemp, readdir, rm, stat, statfs, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataDirSubject, DoctorFileSystem } from './data-dir.check';
import { checkDataFiles } from './data-files.check';

const realFs: DoctorFileSystem = {
  stat: (path) => stat(path),
  statfs: (path) => statfs(path),
  writeProbe: () => Promise.resolve(),
  list: async (dir) =>
    (await readdir(dir, { withFileTypes: true })).map((entry) => ({
      name: entry.name,
      kind: entry.isDirectory() ? 'directory' : entry.isFile() ? 'file' : 'other',
    })),
};

describe('data files check', () => {
  let root: string;
  let dataDir: string;
  let subject: DataDirSubject;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'aico-doctor-files-'));
    dataDir = join(root, 'aico data');
    await mkdir(join(dataDir, 'logs'), { recursive: true, mode: 0o700 });
    for (const file of ['aico.db', 'aico.db-wal', 'aico.db-shm', 'logs/storage.log', 'logs/storage.1.log'])
      await writeFile(join(dataDir, file), 'x', { mode: 0o600 });
    subject = { dataDir, platform: 'linux', uid: (await stat(dataDir)).uid, userName: 'ada', fs: realFs };
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('passes a data directory whose files and directories only the user can read', async () => {
    expect(await checkDataFiles(subject)).toEqual({ name: 'data-files', status: 'ok', detail: 'The database, logs and other files are readable only by you.' });
  });

  it('fails a database, its WAL and SHM, a rotated log and a directory others can read, naming the chmod', async () => {
    // As the storage and logging of earlier versions left them (0644), and a directory made without the umask.
    for (const file of ['aico.db', 'aico.db-wal', 'aico.db-shm', 'logs/storage.1.log']) await chmod(join(dataDir, file), 0o644);
    await chmod(join(dataDir, 'logs'), 0o755);
    // A key file is the key-files check's business, and a link leads outside: neither is reported here.
    await writeFile(join(dataDir, 'dev-master.key'), 'k', { mode: 0o644 });
    await chmod(join(dataDir, 'dev-master.key'), 0o644);
    await symlink('/etc/hostname', join(dataDir, 'link'));
    // The certificate is public; the private key beside it is not.
    await mkdir(join(dataDir, 'gateway'), { mode: 0o700 });
    await writeFile(join(dataDir, 'gateway', 'tls-cert.pem'), 'c', { mode: 0o644 });
    await chmod(join(dataDir, 'gateway', 'tls-cert.pem'), 0o644);
    await writeFile(join(dataDir, 'gateway', 'tls-key.pem'), 'k', { mode: 0o644 });
    await chmod(join(dataDir, 'gateway', 'tls-key.pem'), 0o644);
    const result = await checkDataFiles(subject);
    expect(result).toMatchObject({ name: 'data-files', status: 'fail', fix: `chmod -R go-rwx '${dataDir}'` });
    for (const path of ['aico.db', 'aico.db-wal', 'aico.db-shm', 'logs', 'logs/storage.1.log', 'gateway/tls-key.pem'])
      expect(result.detail).toContain(`${join(dataDir, path)} (0${path === 'logs' ? '755' : '644'})`);
    expect(result.detail).not.toContain('dev-master.key');
    expect(result.detail).not.toContain('link');
    expect(result.detail).not.toContain('storage.log ');
    expect(result.detail).not.toContain('tls-cert.pem');
    expect(result.detail).toMatch(/^Other users can read what aico keeps in the data directory: /);
  });

  it('names a few and counts the rest', async () => {
    for (let i = 0; i < 10; i++) await writeFile(join(dataDir, 'logs', `gateway.${i}.log`), 'x', { mode: 0o640 });
    for (let i = 0; i < 10; i++) await chmod(join(dataDir, 'logs', `gateway.${i}.log`), 0o640);
    expect((await checkDataFiles(subject)).detail).toMatch(/ and 4 more\.$/);
  });

  it('has nothing to check in a data directory not made yet, and skips mode bits on Windows', async () => {
    expect(await checkDataFiles({ ...subject, dataDir: join(root, 'missing') })).toMatchObject({ status: 'ok', detail: 'No files in the data directory yet.' });
    await chmod(join(dataDir, 'aico.db'), 0o644);
    expect(await checkDataFiles({ ...subject, platform: 'win32' })).toMatchObject({ status: 'ok' });
  });
});
