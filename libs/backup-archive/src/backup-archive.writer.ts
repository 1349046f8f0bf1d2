// Writing a backup archive: one pass hashes and sizes every source so the manifest (with checksums) can lead the
// archive, a second streams manifest and sources through one EncryptedFile. A source that changes between the
// passes fails the write, so an archive never disagrees with its own manifest; EncryptedFile makes the write atomic.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { EncryptedFile } from '@aico/encrypted-file';
import { BackupArchiveError, BackupArchiveErrorCode } from './backup-archive.error';
import {
  assertSafeEntryNames,
  encodeArchivePrefix,
  MANIFEST_FORMAT,
  MANIFEST_FORMAT_VERSION,
  type BackupEntry,
  type BackupManifest,
} from './backup-archive.format';
import { type BackupProgress } from './backup-archive.progress';

const READ_CHUNK_BYTES = 64 * 1024;

/** One file to archive: `name` is its relative POSIX path in the archive, `path` where to read it now. */
export interface BackupSource {
  readonly name: string;
  readonly path: string;
}

export interface WriteBackupOptions {
  /** The 32-byte backup key (the key manager's purpose key for backups). */
  readonly key: Uint8Array;
  readonly entries: readonly BackupSource[];
  /** Free metadata stored as the manifest's `app` (database key version, schema migration, ...). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly onProgress?: (progress: BackupProgress) => void;
}

/**
 * Writes the sources into one encrypted archive at `archivePath`, replacing any file there only once the new
 * archive is complete and on disk. Returns the manifest it wrote.
 */
export async function writeBackupArchive(archivePath: string, options: WriteBackupOptions): Promise<BackupManifest> {
  const files = new EncryptedFile(options.key); // checks the key length before any work
  assertSafeEntryNames(
    options.entries.map((source) => source.name),
    archivePath,
    (problem) => `Cannot write the backup archive ${archivePath}: ${problem}. Name entries by relative POSIX paths, each once.`,
  );
  for (const [key, value] of Object.entries(options.metadata)) {
    if (typeof value !== 'string') throw new TypeError(`Backup metadata "${key}" must be a string.`);
  }
  const context = { archive: archivePath, onProgress: options.onProgress };
  const entries = await hashSources(options.entries, context);
  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    app: { ...options.metadata },
    entries,
  };
  await files.writeStream(archivePath, archivePlaintext(encodeArchivePrefix(manifest), options.entries, entries, context));
  return manifest;
}

interface WriteContext {
  readonly archive: string;
  readonly onProgress: ((progress: BackupProgress) => void) | undefined;
}

/** The first pass: the size and SHA-256 of every source. */
async function hashSources(sources: readonly BackupSource[], context: WriteContext): Promise<BackupEntry[]> {
  const sizes: number[] = [];
  for (const source of sources) sizes.push(await regularFileSize(source, context.archive));
  const totalBytes = sizes.reduce((sum, size) => sum + size, 0);
  let doneBytes = 0;
  const entries: BackupEntry[] = [];
  for (const [index, source] of sources.entries()) {
    context.onProgress?.({ phase: 'hashing', doneBytes, totalBytes, entry: source.name });
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of readSource(source, context.archive)) {
      size += chunk.length;
      if (size > sizes[index]!) throw sourceChanged(source, context.archive, 'it grew while it was hashed');
      hash.update(chunk);
      doneBytes += chunk.length;
      context.onProgress?.({ phase: 'hashing', doneBytes, totalBytes, entry: source.name });
    }
    if (size !== sizes[index]) throw sourceChanged(source, context.archive, 'it shrank while it was hashed');
    entries.push({ name: source.name, size, sha256: hash.digest('hex') });
  }
  return entries;
}

/** The second pass: the archive's plaintext, with every source checked against what the first pass recorded. */
async function* archivePlaintext(
  prefix: Buffer,
  sources: readonly BackupSource[],
  entries: readonly BackupEntry[],
  context: WriteContext,
): AsyncGenerator<Buffer> {
  yield prefix;
  const totalBytes = entries.reduce((sum, entry) => sum + entry.size, 0);
  let doneBytes = 0;
  for (const [index, source] of sources.entries()) {
    const entry = entries[index]!;
    context.onProgress?.({ phase: 'writing', doneBytes, totalBytes, entry: entry.name });
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of readSource(source, context.archive, true)) {
      size += chunk.length;
      // Checked before the bytes go out: the archive must not hold more than the manifest says.
      if (size > entry.size) throw sourceChanged(source, context.archive, `it grew from ${entry.size} bytes after it was hashed`);
      hash.update(chunk);
      yield chunk;
      doneBytes += chunk.length;
      context.onProgress?.({ phase: 'writing', doneBytes, totalBytes, entry: entry.name });
    }
    if (size < entry.size) throw sourceChanged(source, context.archive, `it shrank from ${entry.size} to ${size} bytes after it was hashed`);
    if (hash.digest('hex') !== entry.sha256) throw sourceChanged(source, context.archive, 'its content changed after it was hashed');
  }
}

async function regularFileSize(source: BackupSource, archive: string): Promise<number> {
  try {
    const stats = await stat(source.path);
    if (stats.isFile()) return stats.size;
  } catch (error) {
    throw unreadable(source, archive, (error as NodeJS.ErrnoException).code ?? 'unknown error');
  }
  throw unreadable(source, archive, 'not a regular file');
}

/** The bytes of a source; it vanishing after it was hashed is a change, anything else makes it unreadable. */
async function* readSource(source: BackupSource, archive: string, hashed = false): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of createReadStream(source.path, { highWaterMark: READ_CHUNK_BYTES })) yield chunk as Buffer;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw hashed && code === 'ENOENT' ? sourceChanged(source, archive, 'it was removed after it was hashed') : unreadable(source, archive, code);
  }
}

function sourceChanged(source: BackupSource, archive: string, problem: string): BackupArchiveError {
  return new BackupArchiveError(
    BackupArchiveErrorCode.SourceChanged,
    `The backup archive ${archive} was not written: source "${source.name}" (${source.path}) changed during the backup (${problem}). ` +
      'Make sure nothing writes to the data while a backup runs, then back up again.',
    { archive, entry: source.name },
  );
}

function unreadable(source: BackupSource, archive: string, problem: string): BackupArchiveError {
  return new BackupArchiveError(
    BackupArchiveErrorCode.Unreadable,
    `The backup archive ${archive} was not written: source "${source.name}" cannot be read from ${source.path} (${problem}). Check that the file exists and is readable.`,
    { archive, entry: source.name },
  );
}
