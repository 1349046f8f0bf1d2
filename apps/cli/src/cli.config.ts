// The CLI's configuration: the shared settings, and how `aico unlock` / `aico passwd` back off after wrong master
// passwords (environment AICO_CLI__UNLOCK_BACKOFF_MS; the default is the product's, tests lengthen it so that the
// back-off cannot run out between two CLI processes on a slow machine).
import { baseConfigSchema, configInteger, z } from '@aico/config';
import { DEFAULT_UNLOCK_BACKOFF } from '@aico/key-manager';

export const cliConfigSchema = baseConfigSchema.extend({
  cli: z
    .object({
      /** The wait after the first wrong password past the free attempts; it doubles with each further one. */
      unlockBackoffMs: configInteger.min(1).default(DEFAULT_UNLOCK_BACKOFF.firstDelayMs),
    })
    .strict()
    .prefault({}),
});

export type CliConfig = z.infer<typeof cliConfigSchema>;
