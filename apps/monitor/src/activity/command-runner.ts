// Runs a short command and returns its standard output; a failure carries the command's own first line of stderr,
// which is what a person needs to see ("System has not been booted with systemd ..."), or ENOENT when it is absent.
import { execFile } from 'node:child_process';

export type CommandRunner = (file: string, args: readonly string[]) => Promise<string>;

export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    message: string,
    readonly code: string | number | undefined,
  ) {
    super(message);
  }
}

export function execCommandRunner(timeoutMs = 3_000): CommandRunner {
  return (file, args) =>
    new Promise((resolve, reject) => {
      execFile(file, [...args], { timeout: timeoutMs, windowsHide: true, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout);
          return;
        }
        const said = stderr.trim().split('\n')[0]?.trim();
        const code = (error as { code?: string | number }).code;
        const detail = error.killed ? `no answer within ${timeoutMs} ms` : said || `exited with ${code ?? 'an error'}`;
        reject(new CommandError(detail, code));
      });
    });
}
