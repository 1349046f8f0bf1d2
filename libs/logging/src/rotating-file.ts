// A log file that rotates by size and keeps a bounded number of old files, written synchronously (pino's own default
// for files: page-cache writes of a few hundred bytes, no worker thread), created 0600 in a 0700 directory. Two ways
// to name the files:
// - numbered (`<dir>/<base>.<n>.log`, the newest has the highest n; continues the highest found at start): the
//   structured logs, named as pino-roll named them;
// - fixed (`<dir>/<base>.log` is always the current file, older ones `<base>.1.log` (newest) ... `<base>.<keep>.log`):
//   the supervisor's per-app console logs, whose path `aico status` shows.
// Every failure (the directory cannot be made, the file cannot be opened, renamed or written) is thrown to the
// caller (a DegradableWriter); the next write starts over from whatever state is left, so the file recovers by itself.
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { WriteTarget } from './degradable-writer';

export interface RotatingFileOptions {
  readonly dir: string;
  /** File name without `.log` (and without the number, for numbered files). */
  readonly base: string;
  readonly naming: 'numbered' | 'fixed';
  /** Rotate before a write that would start past this size. */
  readonly maxBytes: number;
  /** Old files kept besides the current one. */
  readonly keep: number;
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

/** `10m`, `512k`, `1g`, or a plain number of bytes (the `log.maxFileSize` syntax). */
export function parseSize(size: string | number): number {
  if (typeof size === 'number') return size;
  const match = /^(\d+)([kmg]?)$/i.exec(size.trim());
  if (!match) throw new Error(`Not a size: "${size}" (use a number with k, m or g).`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[match[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(match[1]) * unit;
}

export class RotatingFile implements WriteTarget {
  private fd: number | undefined;
  private size = 0;
  private number = 0;
  /** The last write stopped inside a line: the next one starts on a new line. */
  private partial = false;

  constructor(private readonly options: RotatingFileOptions) {}

  get name(): string {
    return this.path;
  }

  /** The file being written now. */
  get path(): string {
    const { dir, base, naming } = this.options;
    return naming === 'fixed' ? join(dir, `${base}.log`) : join(dir, `${base}.${this.number}.log`);
  }

  write(data: string): void {
    if (this.fd === undefined) this.open();
    if (this.size > 0 && this.size + Buffer.byteLength(data) > this.options.maxBytes) this.rotate();
    if (this.partial) {
      this.writeAll(Buffer.from('\n'));
      this.partial = false;
    }
    this.writeAll(Buffer.from(data));
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // already gone
    }
    this.fd = undefined;
  }

  private writeAll(buffer: Buffer): void {
    let offset = 0;
    try {
      while (offset < buffer.length) {
        const written = writeSync(this.fd!, buffer, offset, buffer.length - offset);
        offset += written;
        this.size += written;
      }
    } catch (error) {
      if (offset > 0) this.partial = true;
      throw error;
    }
  }

  private open(): void {
    mkdirSync(this.options.dir, { recursive: true, mode: DIR_MODE });
    if (this.options.naming === 'numbered' && this.number === 0) this.number = Math.max(1, ...this.numbersOnDisk());
    const fd = openSync(this.path, 'a', FILE_MODE);
    try {
      this.size = fstatSync(fd).size;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.fd = fd;
  }

  private rotate(): void {
    this.close();
    if (this.options.naming === 'numbered') {
      this.number++;
      this.open();
      for (const n of this.numbersOnDisk())
        if (n < this.number - this.options.keep) rmSync(join(this.options.dir, `${this.options.base}.${n}.log`), { force: true });
      return;
    }
    const { dir, base, keep } = this.options;
    rmSync(join(dir, `${base}.${keep}.log`), { force: true });
    for (let n = keep - 1; n >= 1; n--) renameIfPresent(join(dir, `${base}.${n}.log`), join(dir, `${base}.${n + 1}.log`));
    renameIfPresent(join(dir, `${base}.log`), join(dir, `${base}.1.log`));
    this.open();
  }

  private numbersOnDisk(): number[] {
    const pattern = new RegExp(`^${escape(this.options.base)}\\.(\\d+)\\.log$`);
    return readdirSync(this.options.dir)
      .map((name) => pattern.exec(name)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);
  }
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
