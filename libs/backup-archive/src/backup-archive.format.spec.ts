// The checks on an archive's plaintext: archives that authenticate (written under the backup key) but whose magic,
// manifest or entry bytes are wrong, as only a broken or hostile writer holding the key could produce them.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EncryptedFile } from '@aico/encrypted-file';
import { BackupArchiveError, BackupArchiveErrorCode } from './backup-archive.error';
import { ARCHIVE_MAGIC, unsafeEntryNameReason } from './backup-archive.format';
import { readBackupArchive, readBackupManifest } from './backup-archive.reader';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('archive plaintext checks', () => {
  let dir: string;
  let archive: string;
  const key = randomBytes(32);
  const first = Buffer.from('first entry');
  const second = Buffer.from('second entry');
  const manifest = {
    format: 'aico-backup',
    formatVersion: 1,
    createdAt: '2025-01-02T03:04:05.000Z',
    app: { databaseKeyVersion: '1' },
    entries: [
      { name: 'first.bin', size: first.length, sha256: sha256(first) },
      { name: 'nested/second.bin', size: second.length, sha256: sha256(second) },
    ],
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aico-backup-format-'));
    archive = join(dir, 'crafted.aicobak');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  /** Encrypts a hand-made plaintext under the backup key: magic, manifest length, manifest, then `body`. */
  async function craft(manifestValue: unknown, body: Buffer = Buffer.concat([first, second]), magic = ARCHIVE_MAGIC): Promise<void> {
    const json = Buffer.isBuffer(manifestValue) ? manifestValue : Buffer.from(JSON.stringify(manifestValue));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(json.length);
    await new EncryptedFile(key).writeFile(archive, Buffer.concat([magic, length, json, body]));
  }

  async function expectRestoreFailure(code: BackupArchiveErrorCode): Promise<void> {
    const target = join(dir, 'restore');
    const error: unknown = await readBackupArchive(archive, { keys: { current: key }, targetDir: target }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BackupArchiveError);
    expect(error).toMatchObject({ code, details: { archive } });
    await expect(stat(target)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual(['crafted.aicobak']);
  }

  it('a well-made archive restores (the baseline for the cases below)', async () => {
    await craft(manifest);
    expect(await readBackupArchive(archive, { keys: { current: key }, targetDir: join(dir, 'restore') })).toEqual(manifest);
  });

  it('another magic is a foreign file; the same magic with another version byte is a newer archive', async () => {
    await craft(manifest, undefined, Buffer.from('NOTABAK\x01', 'latin1'));
    await expectRestoreFailure(BackupArchiveErrorCode.Foreign);
    await craft(manifest, undefined, Buffer.from('AICOBAK\x02', 'latin1'));
    await expectRestoreFailure(BackupArchiveErrorCode.UnsupportedVersion);
  });

  it('a plaintext shorter than the magic is a foreign file', async () => {
    await new EncryptedFile(key).writeFile(archive, 'AICO');
    await expectRestoreFailure(BackupArchiveErrorCode.Foreign);
  });

  it('a newer manifest version', async () => {
    await craft({ ...manifest, formatVersion: 2 });
    await expectRestoreFailure(BackupArchiveErrorCode.UnsupportedVersion);
    await expect(readBackupManifest(archive, { current: key })).rejects.toMatchObject({ code: BackupArchiveErrorCode.UnsupportedVersion });
  });

  it.each([
    ['not JSON', Buffer.from('{"format": "aico-backup",')],
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0x7d])],
    ['not an object', []],
    ['another format', { ...manifest, format: 'tar' }],
    ['a formatVersion that is not a number', { ...manifest, formatVersion: '1' }],
    ['no createdAt', { ...manifest, createdAt: undefined }],
    ['a createdAt that is not a date', { ...manifest, createdAt: 'yesterday' }],
    ['app values that are not strings', { ...manifest, app: { version: 1 } }],
    ['entries that are not a list', { ...manifest, entries: {} }],
    ['an entry without a name', { ...manifest, entries: [{ size: 1, sha256: sha256(first) }] }],
    ['a negative size', { ...manifest, entries: [{ ...manifest.entries[0], size: -1 }] }],
    ['a fractional size', { ...manifest, entries: [{ ...manifest.entries[0], size: 1.5 }] }],
    ['an upper-case sha256', { ...manifest, entries: [{ ...manifest.entries[0], sha256: sha256(first).toUpperCase() }] }],
  ])('a manifest with %s is invalid', async (_what, value) => {
    await craft(value);
    await expectRestoreFailure(BackupArchiveErrorCode.ManifestInvalid);
  });

  it('a manifest length past the end of the archive is invalid', async () => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(1000);
    await new EncryptedFile(key).writeFile(archive, Buffer.concat([ARCHIVE_MAGIC, length, Buffer.from('{}')]));
    await expectRestoreFailure(BackupArchiveErrorCode.ManifestInvalid);
  });

  it.each(['../escape.bin', '/tmp/escape.bin', 'a\\..\\escape.bin', 'nested/../../escape.bin'])(
    'an unsafe name in the manifest (%j) restores nothing, anywhere',
    async (name) => {
      await craft({ ...manifest, entries: [{ name, size: first.length, sha256: sha256(first) }] }, first);
      await expectRestoreFailure(BackupArchiveErrorCode.UnsafeEntryName);
      await expect(stat(join(dir, 'escape.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
    },
  );

  it('names that collide in the manifest', async () => {
    await craft({ ...manifest, entries: [manifest.entries[0], manifest.entries[0]] }, Buffer.concat([first, first]));
    await expectRestoreFailure(BackupArchiveErrorCode.UnsafeEntryName);
    await craft({ ...manifest, entries: [{ ...manifest.entries[1], name: 'nested' }, manifest.entries[1]] });
    await expectRestoreFailure(BackupArchiveErrorCode.UnsafeEntryName);
  });

  it('an entry whose bytes differ from its checksum, after an entry that was restored', async () => {
    const changed = Buffer.from(second);
    changed[0]! ^= 1;
    await craft(manifest, Buffer.concat([first, changed]));
    await expectRestoreFailure(BackupArchiveErrorCode.ChecksumMismatch);
  });

  it('an archive that ends inside an entry', async () => {
    await craft(manifest, Buffer.concat([first, second.subarray(0, 3)]));
    await expectRestoreFailure(BackupArchiveErrorCode.ChecksumMismatch);
  });

  it('data after the last entry', async () => {
    await craft(manifest, Buffer.concat([first, second, Buffer.from('extra')]));
    await expectRestoreFailure(BackupArchiveErrorCode.ManifestInvalid);
  });

  describe('entry names', () => {
    it.each(['aico.db', 'files/a/b.bin', 'files/v1..2.bin', '.hidden', 'files/..hidden/x', 'ünïcode/名前.bin'])('accepts %j', (name) => {
      expect(unsafeEntryNameReason(name)).toBeUndefined();
    });

    it.each([
      ['', 'empty'],
      ['/abs', 'absolute'],
      ['c:x', 'drive letter'],
      ['a\\b', 'backslash'],
      ['a\u0000b', 'control character'],
      ['..', '".." segment'],
      ['a/./b', '"." segment'],
      ['a/', 'empty'],
      ['x'.repeat(4097), 'longer than'],
    ])('refuses %j (%s)', (name, reason) => {
      expect(unsafeEntryNameReason(name)).toContain(reason);
    });
  });
});
