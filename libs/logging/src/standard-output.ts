// stdout/stderr as a log destination that reports failure instead of crashing the process. A regular file (the
// detached supervisor's console log) is written synchronously, so a full disk shows as ENOSPC on the write and the
// next write after space returns succeeds. A pipe or terminal goes through Node's own stream, whose errors (EPIPE:
// the reader, e.g. a dead supervisor, is gone) arrive later: they are kept and thrown by the next write; and a reader
// that stops reading cannot make the process buffer without bound.
import { fstatSync, writeSync } from 'node:fs';
import type { WriteTarget } from './degradable-writer';

export type StandardStreamName = 'stdout' | 'stderr';

/** More than this queued for a slow reader counts as a failing destination (lines are dropped, not buffered). */
const MAX_BACKLOG_BYTES = 1024 * 1024;

export class BacklogFullError extends Error {
  readonly code = 'BACKLOG_FULL';
  constructor(name: string) {
    super(`${name} is not being read fast enough (more than ${MAX_BACKLOG_BYTES} bytes waiting)`);
  }
}

const guarded = new WeakSet<NodeJS.WriteStream>();
const failures = new WeakMap<NodeJS.WriteStream, Error>();

/**
 * An error listener on stdout and stderr, so an EPIPE (or a full disk under a redirected stream) never becomes an
 * uncaught exception, whoever wrote the line. Idempotent; every aico process calls it at start.
 */
export function guardStandardStreams(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (guarded.has(stream)) continue;
    guarded.add(stream);
    stream.on('error', (error: Error) => {
      if (!failures.has(stream)) failures.set(stream, error);
    });
  }
}

export class StandardOutput implements WriteTarget {
  private readonly fd: number;
  private readonly isFile: boolean;

  constructor(readonly name: StandardStreamName) {
    this.fd = name === 'stdout' ? 1 : 2;
    this.isFile = isRegularFile(this.fd);
  }

  write(data: string): void {
    if (this.isFile) {
      const buffer = Buffer.from(data);
      for (let offset = 0; offset < buffer.length;) offset += writeSync(this.fd, buffer, offset, buffer.length - offset);
      return;
    }
    const stream = this.name === 'stdout' ? process.stdout : process.stderr;
    guardStandardStreams();
    const failure = failures.get(stream);
    if (failure) throw failure;
    if (stream.destroyed || !stream.writable) throw Object.assign(new Error(`${this.name} is closed`), { code: 'EPIPE' });
    if (stream.writableLength > MAX_BACKLOG_BYTES) throw new BacklogFullError(this.name);
    stream.write(data, (error) => {
      if (error && !failures.has(stream)) failures.set(stream, error);
    });
  }
}

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}
