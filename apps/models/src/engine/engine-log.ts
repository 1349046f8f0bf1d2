// llama.cpp's own log lines, through node-llama-cpp's logger: copied to the service log (warnings and errors as
// such, the rest at debug), and kept for a while so a failed load can be explained. llama.cpp writes the real reason
// of a failed load ("tensor … data is not within the file bounds", "unknown model architecture: …") only to its
// log, and loadModel rejects with a bare "Failed to load model"; the line reaches JavaScript through a thread-safe
// callback, sometimes AFTER the rejection. So the engine waits for it (a signal, with a deadline), never sleeps.
import type { Logger } from '@aico/logging';

export type EngineLogLevel = 'disabled' | 'fatal' | 'error' | 'warn' | 'info' | 'log' | 'debug';

export interface EngineLogLine {
  /** Increasing number of the line, so a reader can take the lines after a mark. */
  readonly index: number;
  readonly level: EngineLogLevel;
  readonly message: string;
}

const KEPT_LINES = 200;

export class EngineLog {
  private readonly lines: EngineLogLine[] = [];
  private next = 0;
  private waiters = new Set<{ readonly after: number; readonly pattern: RegExp; readonly resolve: (line: EngineLogLine | undefined) => void }>();

  constructor(private readonly logger: Logger) {}

  /** node-llama-cpp's `logger` option. */
  readonly add = (level: EngineLogLevel, message: string): void => {
    const line: EngineLogLine = { index: this.next++, level, message: message.trimEnd() };
    if (line.message === '') return;
    this.lines.push(line);
    if (this.lines.length > KEPT_LINES) this.lines.shift();
    if (level === 'error' || level === 'fatal') this.logger.warn({ engine: 'llama.cpp', level }, line.message);
    else if (level === 'warn') this.logger.info({ engine: 'llama.cpp', level }, line.message);
    else this.logger.debug({ engine: 'llama.cpp', level }, line.message);
    for (const waiter of this.waiters) {
      if (line.index >= waiter.after && waiter.pattern.test(line.message)) {
        this.waiters.delete(waiter);
        waiter.resolve(line);
      }
    }
  };

  /** The index the next line will get: lines from here on are "after now". */
  mark(): number {
    return this.next;
  }

  /** Lines logged since `mark` (as far as they are still kept). */
  since(mark: number): EngineLogLine[] {
    return this.lines.filter((line) => line.index >= mark);
  }

  /** The first line since `mark` matching `pattern`, already logged or still to come; undefined after `deadlineMs`. */
  waitFor(pattern: RegExp, mark: number, deadlineMs: number): Promise<EngineLogLine | undefined> {
    const seen = this.since(mark).find((line) => pattern.test(line.message));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const waiter = {
        after: mark,
        pattern,
        resolve: (line: EngineLogLine | undefined) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(undefined);
      }, deadlineMs);
      timer.unref();
      this.waiters.add(waiter);
    });
  }
}
