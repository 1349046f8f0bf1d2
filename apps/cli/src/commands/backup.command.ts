import { resolve } from 'node:path';
import type { Command } from 'commander';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { StorageTopics } from '@aico/contracts';
import type { CliContext } from '../cli-context';
import { formatBytes, runStorageOperation } from '../storage-operation';

export function registerBackup(program: Command, context: () => CliContext): void {
  program
    .command('backup <file>')
    .description('write the database and files into one encrypted, verifiable archive <file> (replaced if it exists)')
    .action(async (file: string) => {
      const cli = context();
      // Storage runs in its own working directory: it gets the absolute path.
      const path = resolve(file);
      const response = await runStorageOperation(cli, (bus, options) => bus.request(StorageTopics.backupCreate, { path }, options));
      const createdAt = response.createdAt ? timestampDate(response.createdAt).toISOString() : 'now';
      cli.out(`Backup written: ${response.path} (${formatBytes(Number(response.sizeBytes))}, ${response.entries} entries, ${createdAt}).`);
    });
}
