// Free space on the file system that holds the data directory, as `aico status` and `aico doctor` report it. Only
// statfs: both commands must work on a full disk, so nothing here writes.
import { dirname } from 'node:path';

/** Below this the disk counts as full: SQLite's write-ahead log, the logs and a checkpoint need more than that. */
export const DISK_FULL_BELOW_BYTES = 16 * 1024 ** 2;

export type StatFs = (path: string) => Promise<{ readonly bavail: number; readonly bsize: number }>;

export type FreeSpace = { readonly known: true; readonly freeBytes: number; readonly full: boolean } | { readonly known: false; readonly reason: string };

/** Free bytes for the user on the file system of `dataDir`, or of its nearest existing parent when not made yet. */
export async function freeSpace(dataDir: string, statfs: StatFs): Promise<FreeSpace> {
  let target = dataDir;
  for (;;) {
    try {
      const space = await statfs(target);
      const freeBytes = space.bavail * space.bsize;
      return { known: true, freeBytes, full: freeBytes < DISK_FULL_BELOW_BYTES };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      if (code !== 'ENOENT' || dirname(target) === target) return { known: false, reason: code };
      target = dirname(target);
    }
  }
}
