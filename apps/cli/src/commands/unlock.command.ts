import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { DevelopmentKeyProvider } from '@aico/keys';
import type { CliContext } from '../cli-context';
import { retireAdoptedKey } from '../development-key';
import { CliError, ExitCode } from '../exit-codes';
import { readPasswords, type PasswordOptions } from '../password-input';

export function registerUnlock(program: Command, context: () => CliContext): void {
  program
    .command('unlock')
    .description('verify the master password and put the master key in the OS keychain, so services can start')
    .option('--password-file <file>', 'read the password from a file (first line)')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (options: PasswordOptions) => {
      const cli = context();
      const [password] = await readPasswords(options, ['Master password']);
      const started = Date.now();
      const keys = await cli.keyManager.unlock(password!);
      cli.progress(`Password verified (${Date.now() - started} ms).`);
      try {
        const keychain = await cli.keyManager.storeKeysInKeychain(keys);
        if (!keychain.stored) {
          throw new CliError(
            `The password is right, but the OS keychain is not available (${keychain.reason}), so services cannot start from it. Use AICO_MASTER_KEY_FILE on this machine.`,
            ExitCode.Unavailable,
          );
        }
        cli.out('Unlocked: the master key is in the OS keychain; services start without a password.');
        // A development key left beside the vault (a setup that could not reach the keychain) is no longer needed.
        const development = new DevelopmentKeyProvider(cli.config.dataDir);
        if (existsSync(development.path)) await retireAdoptedKey(cli, development, keys, true);
      } finally {
        keys.destroy();
      }
    });
}
