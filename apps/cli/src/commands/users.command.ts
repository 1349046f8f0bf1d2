// People who log in through the gateway: `aico users add` makes the first administrator (and others) before any
// front end exists. The password is hashed here (Argon2id) and the record written through storage over the bus.
import type { Command } from 'commander';
import { RecordKind } from '@aico/contracts';
import { hashUserPassword } from '@aico/key-manager';
import { StorageClient } from '@aico/storage-client';
import { withBus } from '../bus-connection';
import type { CliContext } from '../cli-context';
import { CliError, ExitCode } from '../exit-codes';
import { readPasswords, type PasswordOptions } from '../password-input';

const ROLES = ['admin', 'user', 'guest'];
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/;

export function registerUsers(program: Command, context: () => CliContext): void {
  const users = program.command('users').description('people who log in to aico through the gateway');
  users
    .command('add <username>')
    .description('create a user (the first one is usually an admin)')
    .option('--role <role>', `one of ${ROLES.join(', ')}`, 'user')
    .option('--display-name <name>', 'how the companion addresses them', '')
    .option('--password-file <file>', 'read the password from a file (one line)')
    .option('--password-stdin', 'read the password from standard input (one line)')
    .action(async (username: string, options: PasswordOptions & { role: string; displayName: string }) => {
      if (!USERNAME.test(username))
        throw new CliError('A username is 2-64 letters, digits, dots, dashes or underscores, starting with a letter or digit.', ExitCode.Usage);
      if (!ROLES.includes(options.role)) throw new CliError(`Unknown role "${options.role}": use one of ${ROLES.join(', ')}.`, ExitCode.Usage);
      const cli = context();
      const [password] = await readPasswords(options, [`Password for ${username}`, `Password for ${username} (again)`]);
      const passwordHash = await hashUserPassword(password!);
      const id = username.toLowerCase();
      await withBus(cli, async (bus) => {
        const storage = new StorageClient(bus, { deadlineMs: 10_000 });
        if ((await storage.getRecord(RecordKind.USER, id)).found) throw new CliError(`A user "${username}" exists already.`, ExitCode.AlreadyExists);
        await storage.putRecord({ kind: { case: 'user', value: { id, username, displayName: options.displayName, role: options.role, passwordHash } } });
      });
      cli.out(`User ${username} (${options.role}) created; they can log in through the gateway.`);
    });
  users
    .command('list')
    .description('list users and their roles')
    .action(async () => {
      const cli = context();
      const records = await withBus(cli, (bus) => new StorageClient(bus, { deadlineMs: 10_000 }).listRecords({ kind: RecordKind.USER, limit: 1000 }));
      for (const record of records.records) {
        if (record.kind.case === 'user') cli.out(`${record.kind.value.username}\t${record.kind.value.role}${record.kind.value.disabled ? '\tdisabled' : ''}`);
      }
    });
}
