// `aico`: the command line for what needs a person at the keyboard (setup, unlock, password change, key status,
// backup and restore).
import 'reflect-metadata';
import { guardStandardStreams } from '@aico/logging';
import { createCliContext, type CliContext } from './cli-context';
import { runCli } from './cli-program';
import { ExitCode } from './exit-codes';

async function main(argv: readonly string[]): Promise<void> {
  // Whatever the CLI creates (vault, attempt counter, console logs, backups) and whatever it starts (the detached
  // supervisor and its apps inherit the mask) is private to the user: no file in the data directory for others.
  process.umask(0o077);
  // `aico status | head` closes the pipe early: an EPIPE on stdout must not become an uncaught exception.
  guardStandardStreams();
  let context: CliContext | undefined;
  const code = await runCli(argv, () => (context ??= createCliContext()));
  // A command that ended normally may have set its own code (130 for a reply or generation stopped with Ctrl-C).
  if (code !== ExitCode.Ok || !process.exitCode) process.exitCode = code;
}

void main(process.argv);
