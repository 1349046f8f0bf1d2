import { baseConfigSchema, configInteger, configList, z } from '@aico/config';

export const storageConfigSchema = baseConfigSchema.extend({
  storage: z
    .object({
      /** The database file, relative to the data directory. */
      file: z.string().min(1).default('aico.db'),
      /** Largest value (state value, payload) accepted, in bytes. */
      maxValueBytes: configInteger.min(1).max(3 * 1024 * 1024).default(1024 * 1024),
      /** Largest text field accepted, in bytes. */
      maxTextBytes: configInteger.min(64).default(64 * 1024),
      /** Bus history (log entries, events) is written when this many are waiting... */
      historyBatchSize: configInteger.min(1).default(500),
      /** ...or this long after the first arrived. */
      historyFlushMs: configInteger.min(1).default(250),
      /** Events not worth keeping: heartbeats and resource samples come every few seconds. */
      ignoredEventTopics: configList(z.string()).default(['system.health.heartbeat', 'system.resources.sample', 'storage.backup.progress']),
      /** Write receipts (idempotency) are kept this long: longer than any caller retries. */
      receiptRetentionHours: configInteger.min(1).default(24),
      /** Persisted log entries and bus events older than this are removed (0 keeps them forever). */
      logRetentionDays: configInteger.min(0).default(30),
      eventRetentionDays: configInteger.min(0).default(90),
    })
    .prefault({}),
});

export type StorageConfig = z.infer<typeof storageConfigSchema>;
