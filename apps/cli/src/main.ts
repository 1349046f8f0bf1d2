// `aico`: the command line for what needs a person at the keyboard (setup, unlock, password change, key status).
import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { createCliContext, type CliContext } from './cli-context';
import { registerKeys } from './commands/keys-status.command';
import { registerPasswd } from './commands/passwd.command';
import { registerSetup } from './commands/setup.command';
import { registerUnlock } from './commands/unlock.command';
import { ExitCode, toCliError } from './exit-codes';

async function main(argv: readonly string[]): Promise<void> {
  let context: CliContext | undefined;
  const lazyContext = (): CliContext => (context ??= createCliContext());
  const program = new Command('aico').description('aico, the local-first companion infrastructure').version('0.1.0').exitOverride();
  registerSetup(program, lazyContext);
  registerUnlock(program, lazyContext);
  registerPasswd(program, lazyContext);
  registerKeys(program, lazyContext);
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed by commander.
      process.exitCode = error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
      return;
    }
    const failure = toCliError(error);
    process.stderr.write(`aico: ${failure.message}\n`);
    process.exitCode = failure.exitCode;
  }
}

void main(process.argv);
