// The database's life around the requests: re-keying when the key service rotates the database key, pruning old
// write receipts, the health check, and a checkpointed close at shutdown.
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { BusClient } from '@aico/bus';
import { KeyPurpose, SecurityTopics, StorageTopics, type CheckDatabaseResponseSchema, type KeyRotated } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { Database } from './database/database';
import { DurableWrites } from './durable-writes';
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
  ) {}

  onApplicationBootstrap(): void {
    this.bus.subscribe(SecurityTopics.rotated, (event) => {
      const rotated = event.payload as KeyRotated;
      if (rotated.key?.purpose !== KeyPurpose.DATABASE) return;
      this.rekeying = this.rekeying.then(() => this.rekey(rotated.key!.version));
    });
    this.pruneTimer = setInterval(() => void this.prune(), PRUNE_INTERVAL_MS);
    this.pruneTimer.unref();
    void this.prune();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.rekeying;
    await this.database.close();
    this.logger.info({ path: this.database.path }, 'Database checkpointed and closed');
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

  private async prune(): Promise<void> {
    try {
      const removed = await this.durable.pruneReceipts(this.config.storage.receiptRetentionHours * 3_600_000);
      if (removed > 0) this.logger.debug({ removed }, 'Old write receipts pruned');
    } catch (error) {
      this.logger.warn({ err: error }, 'Pruning write receipts failed');
    }
  }
}
