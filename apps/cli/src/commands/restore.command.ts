import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { StorageTopics } from '@aico/contracts';
import type { CliContext } from '../cli-context';
import { CliError, ExitCode } from '../exit-codes';
import { runStorageOperation } from '../storage-operation';

export function registerRestore(program: Command, context: () => CliContext): void {
  program
    .command('restore <file>')
    .description('verify the backup archive <file> completely, then replace the database and files with its content')
    .option('--yes', 'restore without asking (required when there is no terminal to ask on)')
    .action(async (file: string, options: { yes?: boolean }) => {
      const cli = context();
      const path = resolve(file);
      await assertArchiveFile(path);
      if (!options.yes) await confirm(cli, path);
      const response = await runStorageOperation(cli, (bus, requestOptions) => bus.request(StorageTopics.backupRestore, { path }, requestOptions));
      const createdAt = response.backupCreatedAt ? timestampDate(response.backupCreatedAt).toISOString() : 'an unknown time';
      cli.out(`Restored ${path}: the backup of ${createdAt}, ${response.entries} entries, database schema ${response.schemaMigration}.`);
    });
}

/** Fails before the question, not after it: storage checks again, this is for the person at the keyboard. */
async function assertArchiveFile(path: string): Promise<void> {
  const isFile = await stat(path).then(
    (stats) => stats.isFile(),
    () => undefined,
  );
  if (isFile === undefined) throw new CliError(`There is no backup archive at ${path}.`, ExitCode.NoInput);
  if (!isFile) throw new CliError(`${path} is not a file; name the backup archive itself.`, ExitCode.NoInput);
}

async function confirm(cli: CliContext, path: string): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new CliError('A restore replaces all current data, and there is no terminal to confirm on: pass --yes to restore anyway.', ExitCode.Usage);
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  let answer: string;
  try {
    answer = await prompt.question(
      `Restoring ${path} replaces the database and files of ${cli.config.dataDir} with the backup's content; what is there now is not kept. Restore? [y/N] `,
    );
  } finally {
    prompt.close();
  }
  if (!/^y(es)?$/i.test(answer.trim())) throw new CliError('Restore cancelled; nothing was changed.', ExitCode.Failure);
}
