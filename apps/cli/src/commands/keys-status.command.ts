import type { Command } from 'commander';
import type { CliContext } from '../cli-context';

export function registerKeys(program: Command, context: () => CliContext): void {
  const keys = program.command('keys').description('the master key and its keychain entry');
  keys
    .command('status')
    .description('say whether aico is set up and whether services can start from the OS keychain')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const cli = context();
      const setUp = await cli.keyManager.isSetUp();
      const keychain = await cli.keyManager.keysFromKeychain();
      keychain.keys?.destroy();
      const status = {
        setUp,
        vault: cli.keyManager.vaultPath,
        dataDir: cli.config.dataDir,
        keychain: keychain.keys ? { holdsMasterKey: true } : { holdsMasterKey: false, reason: keychain.reason },
      };
      if (options.json) {
        cli.out(JSON.stringify(status, null, 2));
        return;
      }
      cli.out(setUp ? `Set up: yes (${status.vault})` : 'Set up: no (run "aico setup")');
      cli.out(keychain.keys ? 'OS keychain: holds the master key; services start without a password' : `OS keychain: no master key (${keychain.reason})`);
    });
}
