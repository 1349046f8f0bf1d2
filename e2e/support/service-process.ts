// Runs a built aico program as a real child process and reads its JSON log lines, so a test can wait for what a
// process says (ready, peer answered, stopped) instead of sleeping.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SIGNAL_TIMEOUT_MS } from './timing';

export const WORKSPACE_ROOT = join(__dirname, '..', '..');

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly service?: string;
  readonly [field: string]: unknown;
}

export class ServiceProcess {
  readonly lines: LogLine[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private waiters: { predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];

  constructor(
    readonly name: string,
    script: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    options: { readonly fileSizeLimitKiB?: number } = {},
  ) {
    const command = [process.execPath, join(WORKSPACE_ROOT, script), ...args];
    // A file-size limit (RLIMIT_FSIZE) stands in for a full disk: writes past it fail with EFBIG (Node ignores SIGXFSZ).
    const [file, ...argv] =
      options.fileSizeLimitKiB === undefined ? command : ['bash', '-c', `ulimit -f ${options.fileSizeLimitKiB} && exec "$0" "$@"`, ...command];
    this.child = spawn(file!, argv, {
      env: { PATH: process.env['PATH'], ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (text) => {
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        return;
      }
      this.lines.push(line);
      this.waiters = this.waiters.filter((waiter) => (waiter.predicate(line) ? (waiter.resolve(line), false) : true));
    });
    createInterface({ input: this.child.stderr! }).on('line', (text) => this.stderr.push(text));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the first log line (already seen or future) that matches; rejects after `timeoutMs`. */
  waitFor(predicate: (line: LogLine) => boolean, timeoutMs = SIGNAL_TIMEOUT_MS, what = 'a matching log line', since = 0): Promise<LogLine> {
    const seen = this.lines.slice(since).find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `${this.name} did not log ${what} within ${timeoutMs} ms. Last lines:\n${this.lines
              .slice(-8)
              .map((l) => JSON.stringify(l))
              .join('\n')}\n${this.stderr.slice(-8).join('\n')}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push({
        predicate,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  waitForMessage(msg: string, timeoutMs?: number, since = 0): Promise<LogLine> {
    return this.waitFor((line) => line.msg === msg, timeoutMs, `"${msg}"`, since);
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs` (beyond the apps' own stop budget in tests). */
  async stop(graceMs = SIGNAL_TIMEOUT_MS): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }
}
