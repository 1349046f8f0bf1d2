// Progress of a backup or restore, published on `storage.backup.progress` for the request that started it: phases in
// order, with bytes done of bytes in all, throttled so a large archive does not flood the bus.
import type { BusClient } from '@aico/bus';
import { StorageTopics } from '@aico/contracts';
import type { Logger } from '@aico/logging';

const PROGRESS_INTERVAL_MS = 100;

export type Operation = 'create' | 'restore';
/**
 * create: snapshot → hashing → writing → done. restore: verifying (decrypting, authenticating and checksumming the
 * archive into staging, then the staged database's integrity check) → restoring (the database is replaced,
 * migrated and re-keyed) → swapping (the files directory) → done.
 */
export type Phase = 'snapshot' | 'hashing' | 'writing' | 'verifying' | 'restoring' | 'swapping' | 'done';

/** Publishes `storage.backup.progress` for one request: a phase's first report, then at most one per interval, and the last. */
export class ProgressReporter {
  private lastPhase: Phase | undefined;
  private lastAt = 0;

  constructor(
    private readonly bus: BusClient,
    private readonly operation: Operation,
    private readonly correlationId: string,
    private readonly logger: Logger,
  ) {}

  report(phase: Phase, doneBytes: number, totalBytes: number): void {
    const now = performance.now();
    if (phase !== 'done' && phase === this.lastPhase && now - this.lastAt < PROGRESS_INTERVAL_MS) return;
    this.lastPhase = phase;
    this.lastAt = now;
    const payload = {
      operation: this.operation,
      phase,
      doneBytes: BigInt(doneBytes),
      totalBytes: BigInt(totalBytes),
      requestCorrelationId: this.correlationId,
    };
    // Progress is a courtesy: a failed publish must not fail the backup.
    this.bus
      .publish(StorageTopics.backupProgress, payload, { correlationId: this.correlationId })
      .catch((error: unknown) => this.logger.debug({ err: error }, 'Backup progress not sent'));
  }
}
