// The database's life around the requests: re-keying when the key service rotates the database key, pruning old
// write receipts and the health check. The database itself is closed by the module that provides it.
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { BusClient } from '@aico/bus';
import { KeyPurpose, StorageTopics, type CheckDatabaseResponseSchema, type KeyRotated } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { Database } from './database/database';
import { DurableWrites } from './durable-writes';
import { HistoryRecorder } from './history-recorder';
import { HistoryStore } from './history.store';
import type { StorageConfig } from './storage.config';

const PRUNE_INTERVAL_MS = 60 * 60_000;

@Injectable()
export class StorageMaintenance implements OnApplicationBootstrap, OnApplicationShutdown {
  private pruneTimer: NodeJS.Timeout | undefined;
  private rekeying: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: StorageConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly bus: BusClient,
    private readonly database: Database,
    private readonly durable: DurableWrites,
    private readonly history: HistoryStore,
    private readonly recorder: HistoryRecorder,
  ) {}

  /** The key service rotated a key (the storage controller's `security.key.rotated` handler): re-key for the database's. */
  keyRotated(rotated: KeyRotated): void {
    if (rotated.key?.purpose !== KeyPurpose.DATABASE) return;
    const version = rotated.key.version;
    this.rekeying = this.rekeying.then(() => this.rekey(version));
  }

  onApplicationBootstrap(): void {
    this.pruneTimer = setInterval(() => void this.prune(), PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
    void this.prune();
  }

  /** A re-key in progress ends before the module closes the database (a module's hook runs after its providers'). */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.rekeying;
  }

  async check(): Promise<MessageInitShape<typeof CheckDatabaseResponseSchema>> {
    const [problems, sizes] = await Promise.all([this.database.integrityProblems(), this.database.sizes()]);
    return {
      ok: problems.length === 0,
      problems,
      schemaMigration: this.database.migration,
      databaseKeyVersion: this.database.databaseKeyVersion,
      sizeBytes: BigInt(sizes.sizeBytes),
      walBytes: BigInt(sizes.walBytes),
      historyPaused: this.recorder.pausedReason !== undefined,
      historyPausedReason: this.recorder.pausedReason ?? '',
      historyDropped: BigInt(this.recorder.counters.skipped + this.recorder.counters.lost),
    };
  }

  private async rekey(version: number): Promise<void> {
    if (version <= this.database.databaseKeyVersion) return;
    try {
      const { previous, durationMs } = await this.database.rekey(version);
      await this.bus.publish(StorageTopics.databaseRekeyed, { previousVersion: previous, version, durationMs: BigInt(durationMs) });
    } catch (error) {
      this.logger.error({ err: error, version }, 'Re-keying the database failed; it stays under its previous key version');
    }
  }

  /** Removes write receipts and history past their retention; runs at start and hourly. */
  async prune(now = Date.now()): Promise<{ receipts: number; logs: number; events: number }> {
    const { receiptRetentionHours, logRetentionDays, eventRetentionDays } = this.config.storage;
    const cutoff = (days: number) => (days > 0 ? now - days * 86_400_000 : 0);
    try {
      const receipts = await this.durable.pruneReceipts(receiptRetentionHours * 3_600_000);
      const history = await this.database.lane.run(() => this.history.prune(cutoff(logRetentionDays), cutoff(eventRetentionDays)));
      const removed = { receipts, ...history };
      if (receipts + history.logs + history.events > 0) this.logger.info(removed, 'Expired write receipts and history removed');
      return removed;
    } catch (error) {
      this.logger.warn({ err: error }, 'Pruning expired receipts and history failed');
      return { receipts: 0, logs: 0, events: 0 };
    }
  }
}
