import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { readPasswords, type PasswordOptions } from '../password-input';

export function registerPasswd(program: Command, context: () => CliContext): void {
  program
    .command('passwd')
    .description('change the master password (the master key is re-wrapped; no data is re-encrypted)')
    .option('--password-file <file>', 'read the current and the new password from a file (two lines)')
    .option('--password-stdin', 'read the current and the new password from standard input (two lines)')
    .action(async (options: PasswordOptions) => {
      const cli = context();
      const [current, next] = await readPasswords(options, ['Current master password', 'New master password', 'New master password (again)']);
      cli.progress('Re-wrapping the master key (Argon2id, 64 MiB, 3 passes) ...');
      await cli.keyManager.changePassword(current!, next!);
      cli.out('The master password was changed.');
    });
}
