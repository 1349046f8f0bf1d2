// Decides whether bus history may be written now. History is the one part of the database nobody waits for: when
// the database grows past its budget or the disk's free space falls under its reserve, recording stops, so the
// room that is left goes to acknowledged writes (state, records, explicit appends), which get STORAGE_DISK_FULL
// only when the disk is really full.
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Database } from './database/database';

export interface HistoryBudget {
  /** 0: no budget. */
  readonly maxDatabaseBytes: number;
  /** 0: no reserve. */
  readonly minFreeDiskBytes: number;
}

export type HistoryVerdict = { readonly record: true } | { readonly record: false; readonly reason: string };

/** Free bytes for an unprivileged writer on the file system holding `path` (root's reserved blocks excluded). */
export type FreeSpaceOf = (path: string) => Promise<number>;

export const freeSpaceOf: FreeSpaceOf = async (path) => {
  const stats = await statfs(path);
  return stats.bavail * stats.bsize;
};

export class HistoryGuard {
  constructor(
    private readonly database: Database,
    private readonly budget: HistoryBudget,
    private readonly freeSpace: FreeSpaceOf = freeSpaceOf,
  ) {}

  /** Inside the write lane (it reads the page counts on the writer's connection). */
  async verdict(): Promise<HistoryVerdict> {
    const { maxDatabaseBytes, minFreeDiskBytes } = this.budget;
    if (maxDatabaseBytes > 0) {
      const used = await this.database.usedBytes();
      if (used > maxDatabaseBytes)
        return { record: false, reason: `the database holds ${used} bytes, over its history budget of ${maxDatabaseBytes} (storage.historyMaxDatabaseBytes)` };
    }
    if (minFreeDiskBytes > 0) {
      let free: number;
      try {
        free = await this.freeSpace(dirname(this.database.path));
      } catch {
        // Cannot tell: recording goes on, and a really full disk fails the batch (counted) instead.
        return { record: true };
      }
      if (free < minFreeDiskBytes)
        return {
          record: false,
          reason: `the disk has ${free} bytes free, under the reserve of ${minFreeDiskBytes} kept for acknowledged writes (storage.historyMinFreeDiskBytes)`,
        };
    }
    return { record: true };
  }
}
