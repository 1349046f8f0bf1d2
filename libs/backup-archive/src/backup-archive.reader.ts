// Reading a backup archive: the manifest alone (inspect), a full verification that writes nothing, or a restore
// into an empty staging directory that is left as it was found if anything at all fails.
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { EncryptedFile, syncDirectory } from '@aico/encrypted-file';
import { BackupArchiveError, BackupArchiveErrorCode } from './backup-archive.error';
import { invalidManifest, parseArchivePrefix, parseManifest, PREFIX_BYTES, type BackupEntry, type BackupManifest } from './backup-archive.format';
import { type BackupProgress } from './backup-archive.progress';
import { PlaintextReader } from './plaintext-reader';

/** The backup key in use, and older versions that archives written before a rotation still need. */
export interface BackupKeys {
  readonly current: Uint8Array;
  readonly previous?: readonly Uint8Array[];
}

export interface VerifyBackupOptions {
  readonly keys: BackupKeys;
  readonly onProgress?: (progress: BackupProgress) => void;
}

export interface ReadBackupOptions extends VerifyBackupOptions {
  /** Where the entries go; it must not exist or be empty (a fresh staging directory). */
  readonly targetDir: string;
}

/** Where one entry's verified bytes go. */
interface EntrySink {
  write(data: Buffer): Promise<void>;
  /** All bytes were written: make them durable. */
  end(): Promise<void>;
  /** Reading failed: release the sink; what it wrote is removed by the caller. */
  abort(): Promise<void>;
}

/**
 * The manifest of the archive at `archivePath`, for `aico backup inspect`. Only the chunks holding the manifest
 * are decrypted (and authenticated); the entries are not checked: use verifyBackupArchive for that.
 */
export async function readBackupManifest(archivePath: string, keys: BackupKeys): Promise<BackupManifest> {
  return withArchive(archivePath, keys, readManifest);
}

/** Decrypts the whole archive and checks every entry's size and SHA-256 without writing anything. */
export async function verifyBackupArchive(archivePath: string, options: VerifyBackupOptions): Promise<BackupManifest> {
  const discard: EntrySink = { write: async () => undefined, end: async () => undefined, abort: async () => undefined };
  return withArchive(archivePath, options.keys, async (reader) => {
    const manifest = await readManifest(reader, archivePath);
    await readEntries(reader, manifest, archivePath, 'verifying', options.onProgress, async () => discard);
    return manifest;
  });
}

/**
 * Restores the archive at `archivePath` into `targetDir` (files mode 0600), verifying every entry's size and
 * SHA-256 and that nothing follows the last entry. On any failure, whatever it wrote is removed before it throws.
 */
export async function readBackupArchive(archivePath: string, options: ReadBackupOptions): Promise<BackupManifest> {
  const target = resolve(options.targetDir);
  const directories = new Set<string>([target]);
  const created = await prepareTarget(target, archivePath);
  const restoreTo = async (entry: BackupEntry): Promise<EntrySink> => {
    const destination = destinationOf(target, entry.name, archivePath);
    await mkdir(dirname(destination), { recursive: true, mode: 0o700 });
    for (let directory = dirname(destination); directory !== target; directory = dirname(directory)) directories.add(directory);
    // 'wx': never through a link or over a file; the directory was empty and names are unique.
    return fileSink(await open(destination, 'wx', 0o600));
  };
  try {
    return await withArchive(archivePath, options.keys, async (reader) => {
      const manifest = await readManifest(reader, archivePath);
      await readEntries(reader, manifest, archivePath, 'restoring', options.onProgress, restoreTo);
      for (const directory of directories) await syncDirectory(directory);
      return manifest;
    });
  } catch (error) {
    await removeWritten(target, created).catch(() => undefined);
    throw error;
  }
}

async function withArchive<T>(archivePath: string, keys: BackupKeys, use: (reader: PlaintextReader, archive: string) => Promise<T>): Promise<T> {
  const files = new EncryptedFile(keys); // checks the key lengths before anything is read
  await assertReadableFile(archivePath);
  const reader = new PlaintextReader(files.createReadStream(archivePath), archivePath);
  try {
    return await use(reader, archivePath);
  } finally {
    await reader.close();
  }
}

async function assertReadableFile(archivePath: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(archivePath)).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new BackupArchiveError(
      BackupArchiveErrorCode.Unreadable,
      `Cannot open the backup archive ${archivePath} (${code}). Check the path and its permissions.`,
      {
        archive: archivePath,
        errno: code,
      },
    );
  }
  if (!isFile) {
    throw new BackupArchiveError(
      BackupArchiveErrorCode.Unreadable,
      `${archivePath} is not a file, so it is not a backup archive. Choose the archive file itself.`,
      {
        archive: archivePath,
      },
    );
  }
}

async function readManifest(reader: PlaintextReader, archive: string): Promise<BackupManifest> {
  const length = parseArchivePrefix(await reader.read(PREFIX_BYTES), archive);
  const json = await reader.read(length);
  if (json.length < length) throw invalidManifest(archive, 'the archive ends inside it');
  return parseManifest(json, archive);
}

async function readEntries(
  reader: PlaintextReader,
  manifest: BackupManifest,
  archive: string,
  phase: BackupProgress['phase'],
  onProgress: ((progress: BackupProgress) => void) | undefined,
  openSink: (entry: BackupEntry) => Promise<EntrySink>,
): Promise<void> {
  const totalBytes = manifest.entries.reduce((sum, entry) => sum + entry.size, 0);
  let doneBytes = 0;
  for (const entry of manifest.entries) {
    onProgress?.({ phase, doneBytes, totalBytes, entry: entry.name });
    const sink = await openSink(entry);
    try {
      const hash = createHash('sha256');
      for (let remaining = entry.size; remaining > 0;) {
        const piece = await reader.next(remaining);
        if (!piece) throw mismatch(archive, entry, `the archive ends after ${entry.size - remaining} of its ${entry.size} bytes`);
        hash.update(piece);
        await sink.write(piece);
        remaining -= piece.length;
        doneBytes += piece.length;
        onProgress?.({ phase, doneBytes, totalBytes, entry: entry.name });
      }
      if (hash.digest('hex') !== entry.sha256) throw mismatch(archive, entry, 'its SHA-256 differs from the manifest');
      await sink.end();
    } catch (error) {
      await sink.abort();
      throw error;
    }
  }
  if (!(await reader.atEnd())) throw invalidManifest(archive, 'data follows the last entry it lists');
}

function mismatch(archive: string, entry: BackupEntry, problem: string): BackupArchiveError {
  return new BackupArchiveError(
    BackupArchiveErrorCode.ChecksumMismatch,
    `Entry "${entry.name}" of the backup archive ${archive} does not match its manifest: ${problem}. The archive was not written by a working aico; use another backup.`,
    { archive, entry: entry.name },
  );
}

function fileSink(handle: FileHandle): EntrySink {
  return {
    write: async (data) => {
      for (let offset = 0; offset < data.length;) offset += (await handle.write(data, offset)).bytesWritten;
    },
    end: async () => {
      await handle.sync();
      await handle.close();
    },
    abort: () => handle.close().catch(() => undefined),
  };
}

/** Where entry `name` goes under `target`; names were checked when the manifest was parsed, this is the backstop. */
function destinationOf(target: string, name: string, archive: string): string {
  const destination = resolve(target, ...name.split('/'));
  // On Windows a ':' would open an alternate data stream of another file.
  if (!destination.startsWith(target + sep) || (process.platform === 'win32' && name.includes(':'))) {
    throw new BackupArchiveError(
      BackupArchiveErrorCode.UnsafeEntryName,
      `The backup archive ${archive} cannot be restored safely here: entry name ${JSON.stringify(name)} does not stay inside the target directory.`,
      { archive, entry: name },
    );
  }
  return destination;
}

/** Makes sure `target` is an empty directory; returns the first directory it had to create, if any. */
async function prepareTarget(target: string, archive: string): Promise<string | undefined> {
  let existing: string[];
  try {
    existing = await readdir(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw notEmpty(target, archive, 'it cannot be listed as a directory');
    return mkdir(target, { recursive: true, mode: 0o700 });
  }
  if (existing.length > 0) throw notEmpty(target, archive, 'it is not empty');
  return undefined;
}

function notEmpty(target: string, archive: string, problem: string): BackupArchiveError {
  return new BackupArchiveError(
    BackupArchiveErrorCode.TargetNotEmpty,
    `Cannot restore the backup archive ${archive} into ${target}: ${problem}. Restore into a new, empty directory.`,
    { archive, target },
  );
}

/** Undoes a failed restore: the directories it created, or else everything in `target`, which was empty. */
async function removeWritten(target: string, created: string | undefined): Promise<void> {
  if (created !== undefined) {
    await rm(created, { recursive: true, force: true });
    return;
  }
  for (const name of await readdir(target)) await rm(join(target, name), { recursive: true, force: true });
}
