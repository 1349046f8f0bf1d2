import type { Command } from 'commander';
import type { SetupPhase } from '@aico/key-manager';
import type { CliContext } from '../cli-context';
import { readPasswords, type PasswordOptions } from '../password-input';

const PHASES: Record<SetupPhase, string> = {
  'checking-password': 'Checking the password',
  'deriving-key': 'Deriving the key-encryption key (Argon2id, 64 MiB, 3 passes)',
  'writing-vault': 'Writing the wrapped master key',
  'storing-in-keychain': 'Storing the master key in the OS keychain',
  done: 'Done',
};

export function registerSetup(program: Command, context: () => CliContext): void {
  program
    .command('setup')
    .description('create the master key and protect it with a new master password')
    .option('--password-file <file>', 'read the password from a file (first line)')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (options: PasswordOptions) => {
      const cli = context();
      const [password] = await readPasswords(options, ['New master password', 'New master password (again)']);
      let step: { phase: SetupPhase; started: number } | undefined;
      const result = await cli.keyManager.setup(password!, (phase) => {
        // Each step's line ends with how long it took, once the next one begins.
        if (step) cli.progress(`${PHASES[step.phase]} ... ${Date.now() - step.started} ms`);
        step = phase === 'done' ? undefined : { phase, started: Date.now() };
      });
      result.keys.destroy();
      cli.out(`aico is set up; the wrapped master key is ${cli.keyManager.vaultPath}.`);
      if (result.keychain.stored) cli.out('The master key is in the OS keychain: services start without a password.');
      else cli.out(`Not stored in the OS keychain: ${result.keychain.reason}`);
    });
}
