// A small real file system for full-disk tests: a tmpfs mounted on a fresh directory (needs root, or CAP_SYS_ADMIN),
// filled with a filler file to leave a chosen number of bytes free, and freed again by removing it.
import { execFile } from 'node:child_process';
import { mkdtemp, open, rm, rmdir, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CHUNK = Buffer.alloc(256 * 1024, 0x5a);

export class Tmpfs {
  private fillers = 0;

  private constructor(readonly dir: string) {}

  /** Mounts a tmpfs of `sizeMiB`, or says why mounting is refused here (no root, no CAP_SYS_ADMIN). */
  static async mount(sizeMiB: number): Promise<{ tmpfs: Tmpfs } | { refused: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'aico-tmpfs-'));
    try {
      await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0700`, 'tmpfs', dir]);
      return { tmpfs: new Tmpfs(dir) };
    } catch (error) {
      await rmdir(dir).catch(() => undefined);
      return { refused: ((error as { stderr?: string }).stderr ?? (error as Error).message).trim() };
    }
  }

  async freeBytes(): Promise<number> {
    const stats = await statfs(this.dir);
    return stats.bavail * stats.bsize;
  }

  /** Writes a filler file until about `leaveBytes` are free (0: until the disk is full). Returns its path. */
  async fill(leaveBytes = 0): Promise<string> {
    const path = join(this.dir, `filler-${this.fillers++}.bin`);
    const handle = await open(path, 'w');
    try {
      for (;;) {
        const room = (await this.freeBytes()) - leaveBytes;
        if (room <= 0) break;
        await handle.write(CHUNK, 0, Math.min(CHUNK.length, room));
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
    } finally {
      await handle.close();
    }
    return path;
  }

  async free(filler: string): Promise<void> {
    await rm(filler, { force: true });
  }

  async unmount(): Promise<void> {
    await run('umount', ['-l', this.dir]).catch(() => undefined);
    await rmdir(this.dir).catch(() => undefined);
  }
}
