// What runs: every service asked for a ping over the bus (as `aico status` does), then the database as storage
// sees it. The CLI never opens the database file: only storage does, so without storage the key cannot be checked.
import { BusError, BusErrorCode, RemoteError, type BusClient } from '@aico/bus';
import { SERVICE_IDENTITIES, StorageTopics, SystemTopics } from '@aico/contracts';
import { formatBytes } from '../storage-operation';
import { checkResult, type CheckResult } from './doctor-check';

/** Services that answer pings; the bus, the CLI and the supervisor are not asked. */
export const PINGED_SERVICES = SERVICE_IDENTITIES.filter((identity) => !['bus', 'cli', 'supervisor'].includes(identity));
const PING_TIMEOUT_MS = 1_500;

export interface ServicesOutcome {
  readonly result: CheckResult;
  readonly answering: ReadonlySet<string>;
}

/** `pingTimeoutMs`: how long each service has to answer (tests give a generous one, so a loaded machine only waits longer). */
export async function checkServices(bus: BusClient | undefined, dataDir: string, now: () => number, pingTimeoutMs = PING_TIMEOUT_MS): Promise<ServicesOutcome> {
  if (!bus) return { result: checkResult('services', 'warn', 'Not checked: the bus cannot be reached (see the bus check).'), answering: new Set() };
  const replies = await Promise.all(
    PINGED_SERVICES.map(async (service) => {
      const started = now();
      try {
        await bus.request(SystemTopics.ping, { target: service }, { timeoutMs: pingTimeoutMs });
        return { service, roundTripMs: now() - started };
      } catch {
        return { service, roundTripMs: undefined };
      }
    }),
  );
  const up = replies.filter((reply) => reply.roundTripMs !== undefined);
  const down = replies.filter((reply) => reply.roundTripMs === undefined).map((reply) => reply.service);
  const answering = up.map((reply) => `${reply.service} (${reply.roundTripMs.toFixed(1)} ms)`).join(', ');
  const result =
    down.length === 0
      ? checkResult('services', 'ok', `Answering: ${answering}.`)
      : checkResult(
          'services',
          'warn',
          `Not answering within ${pingTimeoutMs / 1_000} s: ${down.join(', ')}.${up.length > 0 ? ` Answering: ${answering}.` : ''}`,
          `Start them ("npm start" runs every service) or read their logs in ${dataDir}/logs.`,
        );
  return { result, answering: new Set(up.map((reply) => reply.service)) };
}

/** integrity_check over a large database takes a while; storage answers when it is done. */
export const DATABASE_CHECK_TIMEOUT_MS = 60_000;

export interface DatabaseSubject {
  readonly bus: BusClient | undefined;
  readonly storageAnswers: boolean;
  readonly dataDir: string;
  /** The database key version key-versions.json names, when it can be read. */
  readonly expectedKeyVersion: () => Promise<number | undefined>;
  readonly timeoutMs?: number;
}

const NOT_NOW = 'the database key cannot be checked now (only the storage service opens the database; the CLI never does)';

export async function checkDatabase({
  bus,
  storageAnswers,
  dataDir,
  expectedKeyVersion,
  timeoutMs = DATABASE_CHECK_TIMEOUT_MS,
}: DatabaseSubject): Promise<CheckResult> {
  if (!bus) return checkResult('database', 'warn', `Not checked: without the bus, storage cannot be asked, and ${NOT_NOW}.`);
  if (!storageAnswers)
    return checkResult('database', 'warn', `Storage is not running, so ${NOT_NOW}.`, 'Start aico ("npm start" in development), then run "aico doctor" again.');
  let report;
  try {
    report = await bus.request(StorageTopics.databaseCheck, {}, { timeoutMs });
  } catch (error) {
    if (error instanceof BusError && error.code === BusErrorCode.DeadlineExceeded) {
      return checkResult(
        'database',
        'warn',
        `Storage answers pings, but its database check did not finish within ${timeoutMs / 1_000} s.`,
        'Try again when storage is less busy.',
      );
    }
    if (error instanceof RemoteError || error instanceof BusError) {
      return checkResult(
        'database',
        'fail',
        `Storage could not check the database (${error.code}): ${error.message}`,
        `Read the storage log in ${dataDir}/logs for the details.`,
      );
    }
    throw error;
  }
  if (!report.ok) {
    const shown = report.problems.slice(0, 3).join('; ');
    const more = report.problems.length > 3 ? ` and ${report.problems.length - 3} more` : '';
    return checkResult(
      'database',
      'fail',
      `integrity_check found problems: ${shown}${more}.`,
      `Restore the newest good backup with "aico restore <archive>" (nightly backups are in ${dataDir}-backups).`,
    );
  }
  const size = `${formatBytes(Number(report.sizeBytes))} (+ ${formatBytes(Number(report.walBytes))} write-ahead log)`;
  const detail = `Integrity ok; database key version ${report.databaseKeyVersion}; schema ${report.schemaMigration || 'unknown'}; ${size}.`;
  const expected = await expectedKeyVersion();
  if (expected !== undefined && expected !== report.databaseKeyVersion) {
    return checkResult(
      'database',
      'warn',
      `${detail} key-versions.json names version ${expected}: the re-key to it has not finished.`,
      'Restart storage: it completes an interrupted re-key when it opens the database.',
    );
  }
  return checkResult('database', 'ok', detail);
}
