// The data-directory checks on real temporary directories; ownership, writability and free space are driven through
// the injected file system where a test cannot make the real one fail.
import { chmod, mkdir, mkdtemp, readdir, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDataDirectory, checkDiskSpace, checkKeyFiles, type DataDirSubject, type DoctorFileSystem } from './data-dir.check';

const realFs: DoctorFileSystem = {
  stat: (path) => stat(path),
  statfs: (path) => statfs(path),
  writeProbe: (dir) => writeFile(join(dir, 'probe'), '', { flag: 'wx' }).then(() => rm(join(dir, 'probe'))),
  list: async (dir) =>
    (await readdir(dir, { withFileTypes: true })).map((entry) => ({
      name: entry.name,
      kind: entry.isDirectory() ? 'directory' : entry.isFile() ? 'file' : 'other',
    })),
};
const errno = (code: string) => Object.assign(new Error(code), { code });

describe('data directory checks', () => {
  let root: string;
  let dataDir: string;
  let subject: DataDirSubject;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'aico-doctor-dir-'));
    dataDir = join(root, 'aico');
    await mkdir(dataDir, { mode: 0o700 });
    subject = { dataDir, platform: 'linux', uid: (await stat(dataDir)).uid, userName: 'ada', fs: realFs };
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('passes a 0700 directory that belongs to the user and takes a new file', async () => {
    expect(await checkDataDirectory(subject)).toEqual({ name: 'data-dir', status: 'ok', detail: `${dataDir}: yours, mode 0700, writable.` });
  });

  it('fails a directory others can enter (0755) with the chmod that fixes it', async () => {
    await chmod(dataDir, 0o755);
    expect(await checkDataDirectory(subject)).toEqual({
      name: 'data-dir',
      status: 'fail',
      detail: `${dataDir}: its mode is 0755: other users can look inside.`,
      fix: `chmod 700 ${dataDir}`,
    });
  });

  it('quotes a path with a space for the shell (macOS Application Support)', async () => {
    const spaced = join(root, 'Application Support');
    await mkdir(spaced, { mode: 0o750 });
    expect((await checkDataDirectory({ ...subject, dataDir: spaced })).fix).toBe(`chmod 700 '${spaced}'`);
  });

  it('fails a directory of another user, and one that cannot be written, saying what to do for each', async () => {
    const owner = subject.uid!;
    const result = await checkDataDirectory({ ...subject, uid: owner + 1, fs: { ...realFs, writeProbe: () => Promise.reject(errno('EROFS')) } });
    expect(result.status).toBe('fail');
    expect(result.detail).toBe(`${dataDir}: it belongs to uid ${owner}, not to you (ada, uid ${owner + 1}); it is not writable (EROFS).`);
    expect(result.fix).toBe(`sudo chown -R ada ${dataDir}; ${dataDir} is on a read-only file system: point AICO_DATA_DIR at a writable place.`);
  });

  it('skips mode bits on Windows, with a note', async () => {
    await chmod(dataDir, 0o755);
    const result = await checkDataDirectory({ ...subject, platform: 'win32', uid: undefined });
    expect(result).toMatchObject({ status: 'ok', detail: `${dataDir}: yours, permissions not checked on Windows (NTFS ACLs, not mode bits), writable.` });
  });

  it('warns about a data directory that does not exist yet, and fails a file in its place', async () => {
    await rm(dataDir, { recursive: true });
    expect(await checkDataDirectory(subject)).toMatchObject({ status: 'warn', detail: `${dataDir} does not exist yet.` });
    await writeFile(dataDir, '');
    expect(await checkDataDirectory(subject)).toMatchObject({ status: 'fail', detail: `${dataDir} is not a directory.` });
  });

  it('fails key files other users can read, naming each with the chmod', async () => {
    await writeFile(join(dataDir, 'master-key.vault.json'), '{}', { mode: 0o600 });
    await writeFile(join(dataDir, 'key-versions.json'), '{}', { mode: 0o600 });
    expect(await checkKeyFiles(subject)).toEqual({
      name: 'key-files',
      status: 'ok',
      detail: 'Readable only by you: master-key.vault.json (0600), key-versions.json (0600).',
    });

    await writeFile(join(dataDir, 'dev-master.key'), 'k', { mode: 0o600 });
    await chmod(join(dataDir, 'dev-master.key'), 0o644);
    await chmod(join(dataDir, 'key-versions.json'), 0o640);
    expect(await checkKeyFiles(subject)).toEqual({
      name: 'key-files',
      status: 'fail',
      detail: `Other users can read key files: ${join(dataDir, 'dev-master.key')} (0644), ${join(dataDir, 'key-versions.json')} (0640).`,
      fix: `chmod 600 ${join(dataDir, 'dev-master.key')} ${join(dataDir, 'key-versions.json')}`,
    });
  });

  it('warns below 1 GiB free and fails below 100 MiB, asking the file system that holds the directory', async () => {
    const asked: string[] = [];
    const freeBytes = (bytes: number): DoctorFileSystem => ({
      ...realFs,
      statfs: async (path) => {
        await stat(path); // a missing path fails as the real statfs would
        asked.push(path);
        return { bavail: bytes / 4096, bsize: 4096 };
      },
    });
    expect(await checkDiskSpace({ ...subject, fs: freeBytes(2 * 1024 ** 3) })).toEqual({
      name: 'disk-space',
      status: 'ok',
      detail: `2.00 GiB free on the file system of ${dataDir}.`,
    });
    expect(await checkDiskSpace({ ...subject, fs: freeBytes(512 * 1024 ** 2) })).toMatchObject({
      status: 'warn',
      detail: `512.0 MiB free on the file system of ${dataDir} (less than 1.00 GiB).`,
    });
    const low = await checkDiskSpace({ ...subject, fs: freeBytes(40 * 1024 ** 2) });
    expect(low).toMatchObject({ status: 'fail', detail: `40.0 MiB free on the file system of ${dataDir}: storage's writes will soon fail.` });
    expect(low.fix).toContain(`nightly backups in ${dataDir}-backups`);
    expect(await checkDiskSpace({ ...subject, fs: freeBytes(4096) })).toEqual({
      name: 'disk-space',
      status: 'fail',
      detail: `The disk is full: 4.0 KiB free on the file system of ${dataDir}. Storage refuses writes (STORAGE_DISK_FULL) and log lines are dropped until there is room.`,
      fix: `Free space on that file system now ("df -h ${dataDir}" shows it; old backups in ${dataDir}-backups can go elsewhere), then run "aico doctor" again.`,
    });

    // A data directory not made yet will live on its parent's file system.
    asked.length = 0;
    const missing = join(dataDir, 'not-yet');
    expect(await checkDiskSpace({ ...subject, dataDir: missing, fs: freeBytes(2 * 1024 ** 3) })).toMatchObject({
      status: 'ok',
      detail: `2.00 GiB free on the file system of ${missing}.`,
    });
    expect(asked).toEqual([dataDir]);
  });
});
