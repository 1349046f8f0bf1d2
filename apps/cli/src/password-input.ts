// Where a command's passwords come from: a file (--password-file, one password a line), standard input
// (--password-stdin, for scripts), or a hidden prompt on the terminal. Passwords are never echoed or logged.
import { readFile } from 'node:fs/promises';
import password from '@inquirer/password';
import { CliError, ExitCode } from './exit-codes';

export interface PasswordOptions {
  readonly passwordFile?: string;
  readonly passwordStdin?: boolean;
}

async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of process.stdin) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** Reads `count` passwords, one a line, from the non-interactive source; undefined when there is none. */
async function readNonInteractive(options: PasswordOptions, count: number): Promise<string[] | undefined> {
  let text: string;
  if (options.passwordFile) {
    try {
      text = await readFile(options.passwordFile, 'utf8');
    } catch (error) {
      throw new CliError(`Cannot read the password file ${options.passwordFile} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`, ExitCode.Usage);
    }
  } else if (options.passwordStdin) {
    text = await readStdin();
  } else {
    return undefined;
  }
  const lines = text.split(/\r?\n/);
  if (lines.length < count || lines.slice(0, count).some((line) => line === '')) {
    throw new CliError(`Expected ${count} password line(s) ${options.passwordFile ? `in ${options.passwordFile}` : 'on standard input'}.`, ExitCode.Usage);
  }
  return lines.slice(0, count);
}

async function prompt(message: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new CliError('There is no terminal to ask for the password: use --password-file <file> or --password-stdin.', ExitCode.Usage);
  }
  return password({ message, mask: '*' });
}

/**
 * The distinct passwords asked for by `labels`. A label ending in "(again)" is a confirmation of the one before it:
 * prompted and checked on a terminal, not read from a file or standard input (one line per distinct password).
 */
export async function readPasswords(options: PasswordOptions, labels: readonly string[]): Promise<string[]> {
  const distinct = labels.filter((label) => !label.endsWith('(again)'));
  const given = await readNonInteractive(options, distinct.length);
  if (given) return given;
  const answers: string[] = [];
  for (const label of labels) {
    const answer = await prompt(label);
    if (!label.endsWith('(again)')) answers.push(answer);
    else if (answer !== answers[answers.length - 1]) throw new CliError('The two passwords differ; nothing was changed.', ExitCode.DataError);
  }
  return answers;
}
