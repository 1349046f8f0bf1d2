// The scheduler's settings: defaults for registered tasks, run-history retention, and each built-in task (on or
// off, when, and what it needs). Schedules and time zones are checked at boot, so a typo stops the process with the
// key named instead of a task that never runs.
import { isAbsolute, relative, resolve } from 'node:path';
import { baseConfigSchema, configBoolean, configInteger, configList, z } from '@aico/config';
import { isTimeZone, parseSchedule } from './schedule';

const scheduleText = z.string().superRefine((text, context) => {
  try {
    parseSchedule(text);
  } catch (error) {
    context.addIssue({ code: 'custom', message: `${(error as Error).message} Use a cron expression ("0 30 3 * * *") or "every <n><ms|s|m|h|d>".` });
  }
});

const builtIn = (enabled: boolean, schedule: string) => ({
  enabled: configBoolean.default(enabled),
  /** A cron expression (5 fields, or 6 with seconds) or `every <n><unit>`. */
  schedule: scheduleText.default(schedule),
});

export const KEY_ROTATION_PURPOSES = ['database', 'file', 'token-signing', 'backup'] as const;

export const schedulerConfigSchema = baseConfigSchema
  .extend({
    scheduler: z
      .object({
        /** IANA zone of cron expressions that name none; empty: the machine's own zone. */
        timeZone: z
          .string()
          .default('')
          .refine((zone) => zone === '' || isTimeZone(zone), 'is not an IANA time zone (e.g. "Europe/Berlin", "UTC")'),
        /** Deadline of one attempt of a registered task that names none. */
        defaultTimeoutMs: configInteger.min(1).max(86_400_000).default(30_000),
        /** How long a request to the scheduler waits for it to finish loading its tasks from storage. */
        readyTimeoutMs: configInteger.min(1).default(10_000),
        history: z
          .object({
            /** Run-history entries (attempts and skips) kept per task. */
            keepPerTask: configInteger.min(1).default(200),
            /** Entries older than this are removed (0 keeps them until keepPerTask pushes them out). */
            retentionDays: configInteger.min(0).default(30),
          })
          .strict()
          .prefault({}),
        /** Publishes `scheduler.health.summary` from the heartbeats it has heard. */
        healthSweep: z
          .object({
            ...builtIn(true, 'every 60s'),
            /** An instance is stale after this many of its own heartbeat intervals without one. */
            staleAfterBeats: configInteger.min(1).default(3),
            /** An instance silent for this long is dropped from the summary. */
            forgetAfterMs: configInteger.min(1).default(3_600_000),
          })
          .strict()
          .prefault({}),
        /** Asks storage for `integrity_check` and sizes (`storage.database.check`). */
        databaseCheck: z.object(builtIn(true, '0 15 4 * * *')).strict().prefault({}),
        /** An encrypted backup through `storage.backup.create`, keeping the newest `keepLast` archives. */
        backup: z
          .object({
            ...builtIn(true, '0 0 3 * * *'),
            /**
             * Where archives go. Storage refuses a place inside the data directory (a restore replaces it, and the
             * backup is meant to survive it), so the default is beside it: `<dataDir>-backups`.
             */
            directory: z.string().default(''),
            keepLast: configInteger.min(1).default(7),
          })
          .strict()
          .prefault({}),
        /** Bumps purpose-key versions through the keys service (`security.keys.rotate`); off unless asked for. */
        keyRotation: z
          .object({
            ...builtIn(false, '0 0 4 1 * *'),
            purposes: configList(z.enum(KEY_ROTATION_PURPOSES)).default(['database']),
          })
          .strict()
          .prefault({}),
        /** Removes run history beyond `history` retention. */
        historyCleanup: z.object(builtIn(true, 'every 1h')).strict().prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .superRefine((config, context) => {
    const directory = backupDirectory(config);
    const inside = relative(resolve(config.dataDir), directory);
    if (inside === '' || (!inside.startsWith('..') && !isAbsolute(inside))) {
      context.addIssue({
        code: 'custom',
        path: ['scheduler', 'backup', 'directory'],
        message: `${directory} is inside the data directory ${config.dataDir}, where storage refuses to write backups (a restore replaces that directory). Choose a place outside it.`,
      });
    }
  });

export type SchedulerConfig = z.infer<typeof schedulerConfigSchema>;

export function backupDirectory(config: Pick<SchedulerConfig, 'dataDir' | 'scheduler'>): string {
  return config.scheduler.backup.directory ? resolve(config.scheduler.backup.directory) : `${resolve(config.dataDir)}-backups`;
}
