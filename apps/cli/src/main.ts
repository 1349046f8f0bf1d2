// `aico`: the command line for what needs a person at the keyboard (setup, unlock, password change, key status,
// backup and restore).
import 'reflect-metadata';
import { createCliContext, type CliContext } from './cli-context';
import { runCli } from './cli-program';

async function main(argv: readonly string[]): Promise<void> {
  let context: CliContext | undefined;
  process.exitCode = await runCli(argv, () => (context ??= createCliContext()));
}

void main(process.argv);
