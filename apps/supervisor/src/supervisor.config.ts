import { join } from 'node:path';
import { baseConfigSchema, configBoolean, configInteger, configList, z } from '@aico/config';
import { appsDirAbove } from './build-layout';

/** Where the apps' builds are: beside this one (dist/apps/<app>/apps/<app>/src/main.js). */
export const DEFAULT_APPS_DIR = appsDirAbove(__dirname);

export const supervisorConfigSchema = baseConfigSchema.extend({
  supervisor: z
    .object({
      /**
       * The apps to run after the bus, in start order; each starts once everything before it is ready, except
       * that the apps after `storage` start together (they depend on storage, not on each other).
       */
      apps: configList(z.enum(['keys', 'storage', 'scheduler', 'monitor', 'models', 'conversation', 'gateway'])).default([
        'keys',
        'storage',
        'scheduler',
        'monitor',
        'models',
        'conversation',
        'gateway',
      ]),
      /** Directory holding each app's build (`<appsDir>/<app>/apps/<app>/src/main.js`). */
      appsDir: z.string().default(DEFAULT_APPS_DIR),
      /** First restart delay after a crash; doubled per crash, capped at maxRestartDelayMs. */
      initialRestartDelayMs: configInteger.min(1).default(100),
      maxRestartDelayMs: configInteger.min(1).default(15_000),
      /** An app up this long counts as stable: its next crash starts the delays over. */
      stableAfterMs: configInteger.min(1).default(30_000),
      /**
       * Crashes in a row, before an app was ever ready, after which the supervisor gives up on it (a configuration or
       * start-up failure). An app that was ready once is always restarted.
       */
      maxCrashesInARow: configInteger.min(1).default(10),
      /** How long an app has to announce it is ready. */
      readyTimeoutMs: configInteger.min(1).default(60_000),
      /** How long an app has to stop after SIGTERM before SIGKILL. */
      stopTimeoutMs: configInteger.min(1).default(10_000),
      /** Copy the apps' console output to the supervisor's (for `npm start`; off as an OS service). */
      forwardOutput: configBoolean.default(true),
      /** Each app's console log (`<dataDir>/logs/<app>.console.log`) is rotated before it passes this size. */
      consoleLogMaxBytes: configInteger.min(1024).default(10 * 1024 * 1024),
      /** Rotated console logs kept per app: `<app>.console.1.log` (newest) up to `<app>.console.<n>.log`. */
      consoleLogFiles: configInteger.min(1).max(100).default(3),
    })
    .prefault({}),
});

export type SupervisorConfig = z.infer<typeof supervisorConfigSchema>;
export const consoleLogPath = (dataDir: string, app: string) => join(dataDir, 'logs', `${app}.console.log`);
