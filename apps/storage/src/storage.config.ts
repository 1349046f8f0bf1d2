import { baseConfigSchema, configInteger, configList, z } from '@aico/config';
import { MonitorTopics, StorageTopics, SystemTopics } from '@aico/contracts';

const MiB = 1024 * 1024;

export const storageConfigSchema = baseConfigSchema
  .extend({
    storage: z
      .object({
        /** The database file, relative to the data directory. */
        file: z.string().min(1).default('aico.db'),
        /** Largest value (state value, payload) accepted, in bytes. */
        maxValueBytes: configInteger
          .min(1)
          .max(3 * MiB)
          .default(MiB),
        /** Largest text field accepted, in bytes. */
        maxTextBytes: configInteger.min(64).default(64 * 1024),
        /** Bus history (log entries, events) is written when this many are waiting... */
        historyBatchSize: configInteger.min(1).default(500),
        /** ...or this long after the first arrived. */
        historyFlushMs: configInteger.min(1).default(250),
        /**
         * Events not worth keeping: heartbeats, resource samples and activity reports come every few seconds (and
         * activity reports would be a record of when each person used aico).
         */
        ignoredEventTopics: configList(z.string()).default([
          SystemTopics.heartbeat.topic,
          MonitorTopics.resourceSample.topic,
          StorageTopics.backupProgress.topic,
          MonitorTopics.activityReported.topic,
        ]),
        /**
         * Bus history is not recorded while the database holds more than this (pages in use, so pruning brings it
         * back under): history is the part that may be dropped, so that state and records keep the room.
         */
        historyMaxDatabaseBytes: configInteger.min(0).default(1024 * MiB),
        /** ...or while the disk holding the database has less than this free, left for acknowledged writes. */
        historyMinFreeDiskBytes: configInteger.min(0).default(256 * MiB),
        /**
         * A `storage.events.query` or `storage.logs.query` page ends once its rows reach this many bytes (encoded),
         * far below the bus's envelope limit; a single row larger than this comes alone.
         */
        queryPageBytes: configInteger
          .min(1024)
          .max(3 * MiB)
          .default(MiB),
        /** Write receipts (idempotency) are kept this long: longer than any caller retries. */
        receiptRetentionHours: configInteger.min(1).default(24),
        /** Persisted log entries and bus events older than this are removed (0 keeps them forever). */
        logRetentionDays: configInteger.min(0).default(30),
        eventRetentionDays: configInteger.min(0).default(90),
      })
      .prefault({}),
  })
  .superRefine((config, context) => {
    const { queryPageBytes, maxValueBytes, maxTextBytes } = config.storage;
    const envelope = config.bus.maxEnvelopeBytes;
    if (queryPageBytes > envelope / 2) {
      context.addIssue({
        code: 'custom',
        path: ['storage', 'queryPageBytes'],
        message: `storage.queryPageBytes (${queryPageBytes}) must be at most half of bus.maxEnvelopeBytes (${envelope}).`,
      });
    }
    // The largest single row (it comes alone on its page) must fit one envelope: a log entry of six text fields, or
    // an event with a payload at the value limit.
    const largestRow = Math.max(6 * maxTextBytes, maxValueBytes + maxTextBytes + 2048) + 4096;
    if (largestRow > envelope) {
      context.addIssue({
        code: 'custom',
        path: ['storage', 'maxValueBytes'],
        message: `storage.maxValueBytes (${maxValueBytes}) and storage.maxTextBytes (${maxTextBytes}) allow a stored row of ${largestRow} bytes, more than bus.maxEnvelopeBytes (${envelope}) carries: lower them or raise the envelope limit.`,
      });
    }
  });

export type StorageConfig = z.infer<typeof storageConfigSchema>;
