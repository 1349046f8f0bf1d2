import { join } from 'node:path';
import { Inject, Module, type OnApplicationShutdown } from '@nestjs/common';
import { KeyVersionStore } from '@aico/key-manager';
import { KeyRing } from '@aico/keys';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { BackupService } from './backup.service';
import { Database } from './database/database';
import { DurableWrites } from './durable-writes';
import { HistoryRecorder } from './history-recorder';
import { HistoryStore } from './history.store';
import type { Limits } from './input';
import { RecordStore } from './records.store';
import { StateStore } from './state.store';
import type { StorageConfig } from './storage.config';
import { StorageController } from './storage.controller';
import { StorageMaintenance } from './storage-maintenance';
import { STORAGE_LIMITS } from './storage.tokens';

@Module({
  controllers: [StorageController],
  providers: [
    {
      provide: Database,
      inject: [SERVICE_CONFIG, SERVICE_LOGGER, KeyRing],
      useFactory: async (config: StorageConfig, logger: Logger, keys: KeyRing) => {
        const versions = await new KeyVersionStore(config.dataDir).read();
        return Database.open({
          path: join(config.dataDir, config.storage.file),
          keyOf: (version) => keys.purposeKey('database', version).toString('hex'),
          currentKeyVersion: versions.database.version,
          logger,
        });
      },
    },
    {
      provide: STORAGE_LIMITS,
      inject: [SERVICE_CONFIG],
      useFactory: (config: StorageConfig): Limits => ({ maxValueBytes: config.storage.maxValueBytes, maxTextBytes: config.storage.maxTextBytes }),
    },
    DurableWrites,
    StateStore,
    RecordStore,
    HistoryStore,
    HistoryRecorder,
    StorageMaintenance,
    BackupService,
  ],
})
export class StorageAppModule implements OnApplicationShutdown {
  constructor(
    private readonly database: Database,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
  ) {}

  /** The module that opens the database closes it: Nest runs this after every provider's own shutdown hook. */
  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
    this.logger.info({ path: this.database.path }, 'Database checkpointed and closed');
  }
}
