// Long storage operations from the command line (backup, restore): storage must answer a ping first, so a missing
// storage fails in seconds rather than at the operation's deadline; then the request runs with a generous deadline
// while the progress storage publishes for it (matched by the request's correlation id) is printed.
import { randomUUID } from 'node:crypto';
import { BusError, BusErrorCode, RemoteError, type BusClient } from '@aico/bus';
import { StorageTopics, SystemTopics, type BackupProgress } from '@aico/contracts';
import { withBus } from './bus-connection';
import type { CliContext } from './cli-context';
import { CliError, ExitCode, storageExitCode } from './exit-codes';

/** A backup or restore of a large data directory takes minutes; the request waits this long for its reply. */
export const STORAGE_OPERATION_TIMEOUT_MS = 10 * 60_000;
const PING_TIMEOUT_MS = 3_000;
/** Storage reports up to ten times a second; a person reads one line a second (and every new phase). */
const PRINT_INTERVAL_MS = 1_000;

const PHASES: Readonly<Record<string, string>> = {
  snapshot: 'Snapshotting the database',
  hashing: 'Checksumming',
  writing: 'Writing the archive',
  verifying: 'Verifying the archive',
  restoring: 'Replacing the database',
  swapping: 'Swapping in the files',
};

export interface OperationOptions {
  readonly correlationId: string;
  readonly timeoutMs: number;
}

export async function runStorageOperation<T>(cli: CliContext, send: (bus: BusClient, options: OperationOptions) => Promise<T>): Promise<T> {
  const correlationId = randomUUID();
  const print = progressPrinter(cli);
  const watch = (bus: BusClient): void => {
    bus.subscribe(StorageTopics.backupProgress, (event) => {
      const progress = event.payload;
      if (progress.requestCorrelationId === correlationId) print(progress);
    });
  };
  try {
    return await withBus(
      cli,
      async (bus) => {
        await assertStorageAnswers(bus);
        return await send(bus, { correlationId, timeoutMs: STORAGE_OPERATION_TIMEOUT_MS });
      },
      { beforeConnect: watch },
    );
  } catch (error) {
    if (error instanceof RemoteError || error instanceof BusError) throw new CliError(`${error.message} (${error.code})`, storageExitCode(error));
    throw error;
  }
}

async function assertStorageAnswers(bus: BusClient): Promise<void> {
  try {
    await bus.request(SystemTopics.ping, { target: 'storage' }, { timeoutMs: PING_TIMEOUT_MS });
  } catch (error) {
    if ((error as { code?: unknown }).code !== BusErrorCode.DeadlineExceeded) throw error;
    throw new CliError(
      `The storage service does not answer on the bus (no reply within ${PING_TIMEOUT_MS / 1_000} s). Is aico running ("npm start")?`,
      ExitCode.Unavailable,
    );
  }
}

function progressPrinter(cli: CliContext): (progress: BackupProgress) => void {
  let phase = '';
  let printedAt = 0;
  return (progress) => {
    const now = Date.now();
    if (progress.phase === 'done' || (progress.phase === phase && now - printedAt < PRINT_INTERVAL_MS)) return;
    phase = progress.phase;
    printedAt = now;
    const label = PHASES[progress.phase] ?? progress.phase;
    const total = Number(progress.totalBytes);
    const done = Number(progress.doneBytes);
    cli.progress(total > 0 ? `${label}: ${formatBytes(done)} of ${formatBytes(total)} (${Math.floor((done * 100) / total)}%)` : `${label} ...`);
  };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}
