// The weight files' side of the catalog: free space, copying with a SHA-256 computed on the way, and putting a
// finished file in place atomically (a temporary file in the models directory, flushed, then renamed), so a model
// file is either whole or not there. A full disk (ENOSPC, or EFBIG under a file-size limit) is DISK_FULL.
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, statfs } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ModelsError, ModelsErrorCode } from '../models.error';

/** Bytes left free beyond a model file, so the database and the logs on the same disk keep room to write. */
export const DISK_RESERVE_BYTES = 64 * 1024 * 1024;

/** Free bytes for this user on the file system holding `dir`. */
export type FreeSpace = (dir: string) => Promise<number>;

export const statfsFreeSpace: FreeSpace = async (dir) => {
  const stats = await statfs(dir);
  return stats.bavail * stats.bsize;
};

/** DISK_FULL unless `bytes` more fit in `dir` with the reserve left over. */
export async function checkFreeSpace(freeSpace: FreeSpace, dir: string, bytes: number, what: string): Promise<void> {
  const free = await freeSpace(dir);
  if (bytes + DISK_RESERVE_BYTES > free) {
    throw new ModelsError(
      ModelsErrorCode.DiskFull,
      `Not enough disk space for ${what}: it needs ${formatBytes(bytes)} (+ ${formatBytes(DISK_RESERVE_BYTES)} kept free for aico's database and logs), and ${dir} has ${formatBytes(free)} free. Free some space and try again.`,
      { neededBytes: String(bytes), freeBytes: String(free) },
    );
  }
}

/** Whether a write failed because the disk (or the file-size limit) is full. */
export const isDiskFull = (error: unknown): boolean => ['ENOSPC', 'EFBIG', 'EDQUOT'].includes((error as NodeJS.ErrnoException).code ?? '');

export const diskFullError = (what: string, error: unknown, kept: string): ModelsError =>
  new ModelsError(
    ModelsErrorCode.DiskFull,
    `The disk filled up while writing ${what} (${(error as NodeJS.ErrnoException).code}). ${kept} Free some space and try again.`,
    {
      errno: (error as NodeJS.ErrnoException).code ?? '',
    },
  );

/** A temporary file name beside `target`, hidden, unique, removed by the catalog at start if left over. */
export const temporaryPathFor = (target: string): string => join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
export const isTemporaryFileName = (name: string): boolean => /^\..+\.[0-9a-f]{12}\.tmp$/.test(name);

/** A counting SHA-256 of what passes through. */
export class HashingCounter extends Transform {
  bytes = 0;

  constructor(
    readonly hash: Hash = createHash('sha256'),
    private readonly onBytes?: (bytes: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null, data?: Buffer) => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    done(null, chunk);
  }
}

/**
 * Copies `source` to a new file `target` (0600, must not exist), computing its SHA-256, and flushes it to disk.
 * On any failure the partial target is removed. `source` errors are INVALID_ARGUMENT, a full disk DISK_FULL.
 */
export async function copyWithSha256(source: string, target: string, shownSource = source): Promise<{ sha256: string; bytes: number }> {
  const counter = new HashingCounter();
  try {
    const input = createReadStream(source);
    const output = createWriteStream(target, { flags: 'wx', mode: 0o600 });
    await pipeline(input, counter, output);
    await flush(target);
    return { sha256: counter.hash.digest('hex'), bytes: counter.bytes };
  } catch (error) {
    await rm(target, { force: true });
    if (isDiskFull(error)) throw diskFullError(`the copy of ${shownSource}`, error, 'The partial copy was removed.');
    const code = (error as NodeJS.ErrnoException).code;
    if ((error as { path?: string }).path === source) {
      throw new ModelsError(ModelsErrorCode.InvalidArgument, `${shownSource} could not be read while copying it (${code ?? 'error'}).`, { errno: code ?? '' });
    }
    throw error;
  }
}

/** SHA-256 of a whole file (a resumed download's first part). */
export async function sha256OfFile(path: string): Promise<Hash> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash;
}

/** fsync a file, so what is renamed into place is on disk. */
export async function flush(path: string): Promise<void> {
  const file = await open(path, 'r+');
  try {
    await file.sync();
  } finally {
    await file.close();
  }
}

/** Renames a finished temporary file over `target` and flushes the directory entry. */
export async function placeAtomically(temporary: string, target: string): Promise<void> {
  await rename(temporary, target);
  try {
    const directory = await open(dirname(target), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  } catch {
    // Some platforms (Windows) cannot open a directory to sync it; the rename itself is still atomic.
  }
}

/** A checked, lowercase SHA-256 in hex, or '' when none was given. */
export function normalizeSha256(hex: string): string {
  const trimmed = hex.trim().toLowerCase();
  if (trimmed !== '' && !/^[0-9a-f]{64}$/.test(trimmed)) {
    throw new ModelsError(ModelsErrorCode.InvalidArgument, `"${hex.slice(0, 80)}" is not a SHA-256: give the 64 hex digits the model's page lists.`);
  }
  return trimmed;
}

export function checksumMismatch(what: string, expected: string, actual: string, left: string): ModelsError {
  return new ModelsError(
    ModelsErrorCode.ChecksumMismatch,
    `${what} does not have the SHA-256 you gave: expected ${expected}, got ${actual}. ${left} Check the checksum, or the source.`,
    { expected, actual },
  );
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
