// End to end through the public API: round trips, progress, damaged and foreign archives, keys, unsafe names and
// sources that change while a backup runs.
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HEADER_BYTES } from '@aico/encrypted-file';
import {
  BackupArchiveError,
  BackupArchiveErrorCode,
  readBackupArchive,
  readBackupManifest,
  verifyBackupArchive,
  writeBackupArchive,
  type BackupKeys,
  type BackupProgress,
  type BackupSource,
} from './index';

/** A sealed chunk of the archive's EncryptedFile: the default 64 KiB of plaintext and a 16-byte GCM tag. */
const SEALED_CHUNK = 2 ** 16 + 16;

/** Compares by digest: Jest's deep equality walks a megabyte Buffer byte by byte, for seconds. */
const digest = (data: Buffer | undefined) => data && `${data.length}:${createHash('sha256').update(data).digest('hex')}`;

describe('backup archive', () => {
  let dir: string;
  let archive: string;
  const key = randomBytes(32);
  const keys: BackupKeys = { current: key };
  const contents = new Map<string, Buffer>([
    ['aico.db', randomBytes(10_000)],
    ['empty.bin', Buffer.alloc(0)],
    ['files/a/b.bin', randomBytes(3_000)],
    ['big.bin', randomBytes(1.5 * 1024 * 1024 + 123)],
  ]);
  let sources: BackupSource[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aico-backup-'));
    archive = join(dir, 'backup.aicobak');
    await mkdir(join(dir, 'data'));
    sources = [];
    for (const [name, data] of contents) {
      const path = join(dir, 'data', name.replaceAll('/', '_'));
      await writeFile(path, data);
      sources.push({ name, path });
    }
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const write = (options: Partial<Parameters<typeof writeBackupArchive>[1]> = {}) =>
    writeBackupArchive(archive, { key, entries: sources, metadata: { databaseKeyVersion: '3', schemaMigration: '0007' }, ...options });

  async function failure(promise: Promise<unknown>): Promise<BackupArchiveError> {
    const error: unknown = await promise.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(BackupArchiveError);
    return error as BackupArchiveError;
  }

  /** Restoring fails with `code`, and leaves an absent target absent and an empty one empty. */
  async function expectRestoreFailure(code: BackupArchiveErrorCode, withKeys: BackupKeys = keys): Promise<BackupArchiveError> {
    const absent = join(dir, 'failed-restore', 'staging');
    const error = await failure(readBackupArchive(archive, { keys: withKeys, targetDir: absent }));
    expect(error.code).toBe(code);
    await expect(stat(join(dir, 'failed-restore'))).rejects.toMatchObject({ code: 'ENOENT' });
    const empty = await mkdtemp(join(dir, 'staging-'));
    expect((await failure(readBackupArchive(archive, { keys: withKeys, targetDir: empty }))).code).toBe(code);
    expect(await readdir(empty)).toEqual([]);
    return error;
  }

  it('round-trips files, an empty one, a nested name and a large one, with their manifest', async () => {
    const written = await write();
    expect(written).toEqual({
      format: 'aico-backup',
      formatVersion: 1,
      createdAt: expect.any(String) as string,
      app: { databaseKeyVersion: '3', schemaMigration: '0007' },
      entries: [...contents].map(([name, data]) => ({ name, size: data.length, sha256: createHash('sha256').update(data).digest('hex') })),
    });
    expect(Number.isNaN(Date.parse(written.createdAt))).toBe(false);
    const raw = await readFile(archive);
    expect(raw.includes(contents.get('big.bin')!.subarray(0, 32))).toBe(false);
    expect(raw.includes(Buffer.from('schemaMigration'))).toBe(false);

    const target = join(dir, 'restore');
    expect(await readBackupArchive(archive, { keys, targetDir: target })).toEqual(written);
    for (const [name, data] of contents) {
      expect(digest(await readFile(join(target, name)))).toBe(digest(data));
      if (process.platform !== 'win32') expect((await stat(join(target, name))).mode & 0o777).toBe(0o600);
    }
    expect((await readdir(target, { recursive: true })).sort()).toEqual(['aico.db', 'big.bin', 'empty.bin', 'files', 'files/a', 'files/a/b.bin']);
    expect(await readBackupManifest(archive, keys)).toEqual(written);
    expect(await verifyBackupArchive(archive, { keys })).toEqual(written);
  });

  it('round-trips an archive without entries', async () => {
    sources = [];
    const written = await write({ metadata: {} });
    const target = join(dir, 'restore');
    expect(await readBackupArchive(archive, { keys, targetDir: target })).toEqual(written);
    expect(await readdir(target)).toEqual([]);
  });

  it('reports progress monotonically up to the total, per phase', async () => {
    const total = [...contents.values()].reduce((sum, data) => sum + data.length, 0);
    const seen: BackupProgress[] = [];
    await write({ onProgress: (progress) => seen.push(progress) });
    await readBackupArchive(archive, { keys, targetDir: join(dir, 'restore'), onProgress: (progress) => seen.push(progress) });
    expect([...new Set(seen.map((progress) => progress.phase))]).toEqual(['hashing', 'writing', 'restoring']);
    for (const phase of ['hashing', 'writing', 'restoring'] as const) {
      const reports = seen.filter((progress) => progress.phase === phase);
      expect(reports.length).toBeGreaterThan(contents.size);
      for (const [index, report] of reports.entries()) {
        expect(report.totalBytes).toBe(total);
        expect(report.doneBytes).toBeLessThanOrEqual(total);
        if (index > 0) expect(report.doneBytes).toBeGreaterThanOrEqual(reports[index - 1]!.doneBytes);
      }
      expect(reports.at(-1)!.doneBytes).toBe(total);
      expect(new Set(reports.map((report) => report.entry))).toEqual(new Set(contents.keys()));
    }
  });

  describe('a damaged archive: a specific error, and nothing left in the target', () => {
    let sealed: Buffer;
    beforeEach(async () => {
      await write();
      sealed = await readFile(archive);
    });

    async function withByteChanged(position: (length: number) => number): Promise<void> {
      const changed = Buffer.from(sealed);
      changed[position(changed.length)]! ^= 0x20;
      await writeFile(archive, changed);
    }

    it.each([
      ['the encrypted-file magic', () => 0, BackupArchiveErrorCode.Foreign],
      ['the encrypted-file version', () => 8, BackupArchiveErrorCode.UnsupportedVersion],
      ['the key id', () => 14, BackupArchiveErrorCode.WrongKey],
      ['the header salt', () => 30, BackupArchiveErrorCode.Tampered],
      ['the header MAC', () => HEADER_BYTES - 1, BackupArchiveErrorCode.Tampered],
      ['the first chunk (the manifest)', () => HEADER_BYTES + 5, BackupArchiveErrorCode.Tampered],
      ['the middle, after entries were restored', (length: number) => Math.floor(length / 2), BackupArchiveErrorCode.Tampered],
      ['the last byte', (length: number) => length - 1, BackupArchiveErrorCode.Tampered],
    ])('one byte changed in %s', async (_where, position, code) => {
      await withByteChanged(position);
      const error = await expectRestoreFailure(code);
      expect(error.message).toContain(archive);
      expect(error.details).toMatchObject({ archive });
      expect((await failure(verifyBackupArchive(archive, { keys }))).code).toBe(code);
    });

    it('a change in the middle fails after earlier entries were restored, and removes them', async () => {
      await withByteChanged((length) => Math.floor(length / 2));
      const target = join(dir, 'restore');
      const restored = new Set<string>();
      const error = await failure(readBackupArchive(archive, { keys, targetDir: target, onProgress: ({ entry }) => entry && restored.add(entry) }));
      expect(error.code).toBe(BackupArchiveErrorCode.Tampered);
      expect([...restored]).toEqual(['aico.db', 'empty.bin', 'files/a/b.bin', 'big.bin']);
      await expect(stat(target)).rejects.toMatchObject({ code: 'ENOENT' });
    });

    it('a change in the middle is found by verify, though inspect reads only the intact manifest', async () => {
      await withByteChanged((length) => Math.floor(length / 2));
      expect((await readBackupManifest(archive, keys)).entries).toHaveLength(contents.size);
      expect((await failure(verifyBackupArchive(archive, { keys }))).code).toBe(BackupArchiveErrorCode.Tampered);
    });

    it.each([
      ['at a chunk boundary', () => HEADER_BYTES + 10 * SEALED_CHUNK],
      ['before the final chunk', (length: number) => length - ((length - HEADER_BYTES) % SEALED_CHUNK)],
      ['inside the header', () => HEADER_BYTES - 10],
      ['to the header alone', () => HEADER_BYTES],
    ])('truncated %s', async (_where, cut) => {
      await truncate(archive, cut(sealed.length));
      const error = await expectRestoreFailure(BackupArchiveErrorCode.Truncated);
      expect(error.message).toMatch(/incomplete/);
    });

    it('truncated inside a chunk, which reads as damage to that chunk', async () => {
      await truncate(archive, sealed.length - 100);
      await expectRestoreFailure(BackupArchiveErrorCode.Tampered);
    });

    it('chunks reordered, or bytes appended', async () => {
      const chunk = (index: number) => sealed.subarray(HEADER_BYTES + index * SEALED_CHUNK, HEADER_BYTES + (index + 1) * SEALED_CHUNK);
      await writeFile(archive, Buffer.concat([sealed.subarray(0, HEADER_BYTES), chunk(1), chunk(0), sealed.subarray(HEADER_BYTES + 2 * SEALED_CHUNK)]));
      await expectRestoreFailure(BackupArchiveErrorCode.Tampered);
      await writeFile(archive, Buffer.concat([sealed, sealed.subarray(sealed.length - 100)]));
      await expectRestoreFailure(BackupArchiveErrorCode.Tampered);
    });
  });

  it("refuses another installation's archive (another backup key), naming it and not the key", async () => {
    await write();
    const otherKey = randomBytes(32);
    const error = await expectRestoreFailure(BackupArchiveErrorCode.WrongKey, { current: otherKey });
    expect(error.message).toContain(archive);
    for (const secret of [key, otherKey]) {
      const text = JSON.stringify({ message: error.message, details: error.details, stack: error.stack });
      expect(text).not.toContain(secret.toString('hex'));
      expect(text).not.toContain(secret.toString('base64'));
    }
    expect((await failure(readBackupManifest(archive, { current: otherKey }))).code).toBe(BackupArchiveErrorCode.WrongKey);
  });

  it('refuses a file that is not an archive', async () => {
    await writeFile(archive, randomBytes(5000));
    await expectRestoreFailure(BackupArchiveErrorCode.Foreign);
    await writeFile(archive, '');
    await expectRestoreFailure(BackupArchiveErrorCode.Foreign);
    expect((await failure(readBackupManifest(archive, keys))).code).toBe(BackupArchiveErrorCode.Foreign);
  });

  it('refuses a missing archive, or a directory, as unreadable', async () => {
    expect((await failure(readBackupManifest(join(dir, 'nope.aicobak'), keys))).code).toBe(BackupArchiveErrorCode.Unreadable);
    expect((await failure(readBackupManifest(dir, keys))).code).toBe(BackupArchiveErrorCode.Unreadable);
  });

  it('reads an archive made under the previous backup key after a rotation', async () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const written = await write({ key: oldKey });
    const rotated = { current: newKey, previous: [oldKey] };
    expect(await readBackupArchive(archive, { keys: rotated, targetDir: join(dir, 'restore') })).toEqual(written);
    expect(digest(await readFile(join(dir, 'restore', 'big.bin')))).toBe(digest(contents.get('big.bin')));
    await expectRestoreFailure(BackupArchiveErrorCode.WrongKey, { current: newKey });
  });

  it('refuses a target directory that is not empty, and leaves it alone', async () => {
    await write();
    const target = join(dir, 'occupied');
    await mkdir(target);
    await writeFile(join(target, 'keep.txt'), 'mine');
    expect((await failure(readBackupArchive(archive, { keys, targetDir: target }))).code).toBe(BackupArchiveErrorCode.TargetNotEmpty);
    expect(await readdir(target)).toEqual(['keep.txt']);
  });

  describe('unsafe entry names are refused before anything is written', () => {
    it.each(['/etc/passwd', '../outside', 'files/../../outside', 'files\\a.bin', '', 'files//a', './aico.db', 'files/', 'C:/x', 'a\nb'])('%j', async (name) => {
      const error = await failure(write({ entries: [...sources, { name, path: sources[0]!.path }] }));
      expect(error.code).toBe(BackupArchiveErrorCode.UnsafeEntryName);
      expect(await readdir(dir)).toEqual(['data']);
    });

    it('a duplicate name, and a name another one needs as a directory', async () => {
      expect((await failure(write({ entries: [...sources, sources[0]!] }))).code).toBe(BackupArchiveErrorCode.UnsafeEntryName);
      expect((await failure(write({ entries: [...sources, { name: 'files/a', path: sources[0]!.path }] }))).code).toBe(BackupArchiveErrorCode.UnsafeEntryName);
      expect(await readdir(dir)).toEqual(['data']);
    });

    it('but names with dots inside a segment are fine', async () => {
      sources = [{ name: 'files/v1..2/.hidden', path: sources[0]!.path }];
      await write();
      await readBackupArchive(archive, { keys, targetDir: join(dir, 'restore') });
      expect(digest(await readFile(join(dir, 'restore', 'files', 'v1..2', '.hidden')))).toBe(digest(contents.get('aico.db')));
    });
  });

  describe('a source that changes between hashing and writing fails the backup, leaving any old archive', () => {
    let before: Buffer;
    beforeEach(async () => {
      await write({ key: randomBytes(32) });
      before = await readFile(archive);
    });

    /** Writes with `change` applied to the last source once the writing pass has started. */
    async function writeWhile(change: (path: string) => void): Promise<BackupArchiveError> {
      let changed = false;
      const error = await failure(
        write({
          onProgress: ({ phase }) => {
            if (phase !== 'writing' || changed) return;
            changed = true;
            change(sources.at(-1)!.path);
          },
        }),
      );
      expect(changed).toBe(true);
      expect(digest(await readFile(archive))).toBe(digest(before));
      expect(await readdir(dir)).toEqual(['backup.aicobak', 'data']); // no temporary file left
      return error;
    }

    it('it grows', async () => {
      const error = await writeWhile((path) => appendFileSync(path, 'x'));
      expect(error.code).toBe(BackupArchiveErrorCode.SourceChanged);
      expect(error.message).toMatch(/big\.bin.*grew/);
    });

    it('it shrinks', async () => {
      const error = await writeWhile((path) => writeFileSync(path, contents.get('big.bin')!.subarray(1)));
      expect(error.code).toBe(BackupArchiveErrorCode.SourceChanged);
    });

    it('its content changes at the same size', async () => {
      const error = await writeWhile((path) => {
        const data = Buffer.from(contents.get('big.bin')!);
        data[data.length - 1]! ^= 1;
        writeFileSync(path, data);
      });
      expect(error.code).toBe(BackupArchiveErrorCode.SourceChanged);
    });

    it('it is removed', async () => {
      const { rmSync } = await import('node:fs');
      expect((await writeWhile((path) => rmSync(path))).code).toBe(BackupArchiveErrorCode.SourceChanged);
    });
  });

  it('refuses a source that is missing or not a file as unreadable', async () => {
    expect((await failure(write({ entries: [{ name: 'x', path: join(dir, 'missing') }] }))).code).toBe(BackupArchiveErrorCode.Unreadable);
    expect((await failure(write({ entries: [{ name: 'x', path: dir }] }))).code).toBe(BackupArchiveErrorCode.Unreadable);
    expect(await readdir(dir)).toEqual(['data']);
  });

  it('refuses a backup key that is not 32 bytes', async () => {
    await expect(write({ key: randomBytes(16) })).rejects.toThrow('32 bytes');
  });
});
