import type { Command } from 'commander';
import { KeyPurpose, SecurityTopics } from '@aico/contracts';
import { withBus } from '../bus-connection';
import type { CliContext } from '../cli-context';
import { CliError, ExitCode } from '../exit-codes';

const PURPOSES: Record<string, KeyPurpose> = {
  database: KeyPurpose.DATABASE,
  file: KeyPurpose.FILE,
  'token-signing': KeyPurpose.TOKEN_SIGNING,
  backup: KeyPurpose.BACKUP,
};

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
  keys
    .command('rotate <purpose>')
    .description(`bump a purpose key's version (${Object.keys(PURPOSES).join(', ')}); its owner re-keys its data`)
    .option('--reason <text>', 'why, for the log and the announcement', 'requested from the command line')
    .action(async (purposeName: string, options: { reason: string }) => {
      const purpose = PURPOSES[purposeName];
      if (purpose === undefined) throw new CliError(`Unknown key purpose "${purposeName}": use one of ${Object.keys(PURPOSES).join(', ')}.`, ExitCode.Usage);
      const cli = context();
      const response = await withBus(cli, (bus) => bus.request(SecurityTopics.rotate, { purpose, reason: options.reason }, { timeoutMs: 10_000 }));
      cli.out(`The ${purposeName} key is now version ${response.key?.version ?? '?'} (was ${response.previousVersion}).`);
    });
}
