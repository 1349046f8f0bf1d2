// A data directory on a disk that a test can fill and free again. Where mounting is permitted (root on Linux): a
// small tmpfs mounted on the directory, filled by a filler file until the kernel says ENOSPC. Elsewhere: a file-size
// limit (RLIMIT_FSIZE, through `prlimit`) lowered on the running aico processes, so every write that grows a file
// fails with EFBIG, and raised again to "free" it. `kind` says which one ran.
import { spawnSync } from 'node:child_process';
import { open, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';

export type SmallDiskKind = 'tmpfs' | 'fsize';

export class SmallDisk {
  private filled = false;
  private limitedPids: number[] = [];

  private constructor(
    readonly dir: string,
    readonly kind: SmallDiskKind,
  ) {}

  /**
   * Mounts a tmpfs of `sizeBytes` on `dir` (an existing, empty directory), or falls back to file-size limits (also
   * when AICO_TEST_SMALL_DISK=fsize, to exercise the fallback where tmpfs works).
   */
  static mount(dir: string, sizeBytes: number): SmallDisk {
    const tryMount = process.platform === 'linux' && process.env['AICO_TEST_SMALL_DISK'] !== 'fsize';
    const mounted = tryMount && spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' }).status === 0;
    return new SmallDisk(dir, mounted ? 'tmpfs' : 'fsize');
  }

  private get filler(): string {
    return join(this.dir, 'filler.bin');
  }

  /** Free bytes on the disk (tmpfs) or Infinity (file-size limits have no total). */
  async freeBytes(): Promise<number> {
    if (this.kind !== 'tmpfs') return Infinity;
    const stats = await statfs(this.dir);
    return stats.bavail * stats.bsize;
  }

  /**
   * Fills the disk: tmpfs, a filler file grown until ENOSPC; file-size limits, the soft limit of each of `pids` set
   * to one block, so any write that grows a file fails.
   */
  async fill(pids: readonly number[]): Promise<void> {
    this.filled = true;
    if (this.kind === 'fsize') {
      for (const pid of pids) prlimit(pid, '512:');
      this.limitedPids = [...pids];
      return;
    }
    const file = await open(this.filler, 'a', 0o600);
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    try {
      // Large chunks first, then small ones, so the last few kilobytes are taken too.
      for (const size of [chunk.length, 64 * 1024, 4 * 1024, 512]) {
        for (;;) {
          try {
            await file.write(chunk, 0, size);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw error;
          }
        }
      }
    } finally {
      await file.close().catch(() => undefined);
    }
  }

  /** Frees what `fill` took. */
  async free(): Promise<void> {
    if (!this.filled) return;
    this.filled = false;
    if (this.kind === 'fsize') {
      for (const pid of this.limitedPids) prlimit(pid, 'unlimited:');
      this.limitedPids = [];
      return;
    }
    await rm(this.filler, { force: true });
  }

  /** Unmounts the tmpfs (lazily if something still holds a file on it). */
  unmount(): void {
    if (this.kind !== 'tmpfs') return;
    if (spawnSync('umount', [this.dir]).status !== 0) spawnSync('umount', ['-l', this.dir]);
  }
}

function prlimit(pid: number, limit: string): void {
  // A process that is gone cannot be limited; that is not this helper's concern.
  spawnSync('prlimit', ['--pid', String(pid), `--fsize=${limit}`]);
}
