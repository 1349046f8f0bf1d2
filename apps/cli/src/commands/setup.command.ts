import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { DevelopmentKeyProvider, KeyFileProvider } from '@aico/keys';
import type { SetupPhase } from '@aico/key-manager';
import type { CliContext } from '../cli-context';
import { retireAdoptedKey } from '../development-key';
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
      // Services of the development profile may already run on the generated development key: keep that key, so
      // nothing encrypted under it becomes unreadable once services start from the keychain instead.
      const development = new DevelopmentKeyProvider(cli.config.dataDir);
      const existingKey = existsSync(development.path) ? await new KeyFileProvider(development.path).load() : undefined;
      if (existingKey) cli.progress(`Adopting the development master key in ${development.path}`);
      let step: { phase: SetupPhase; started: number } | undefined;
      const result = await cli.keyManager
        .setup(
          password!,
          (phase) => {
            // Each step's line ends with how long it took, once the next one begins.
            if (step) cli.progress(`${PHASES[step.phase]} ... ${Date.now() - step.started} ms`);
            step = phase === 'done' ? undefined : { phase, started: Date.now() };
          },
          existingKey,
        )
        .finally(() => existingKey?.fill(0));
      try {
        cli.out(`aico is set up; the wrapped master key is ${cli.keyManager.vaultPath}.`);
        if (result.keychain.stored) cli.out('The master key is in the OS keychain: services start without a password.');
        else cli.out(`Not stored in the OS keychain: ${result.keychain.reason}`);
        if (existingKey) await retireAdoptedKey(cli, development, result.keys, result.keychain.stored);
      } finally {
        result.keys.destroy();
      }
    });
}
