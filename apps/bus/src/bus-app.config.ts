import { baseConfigSchema, configInteger, z } from '@aico/config';

export const busAppConfigSchema = baseConfigSchema.extend({
  proxy: z
    .object({
      /** High-water mark of the proxy's sockets, in messages. */
      highWaterMark: configInteger.min(1).default(10_000),
      /** A publisher that sends a larger frame is disconnected by libzmq. */
      maxMessageBytes: configInteger.min(1024).default(16 * 1024 * 1024),
      /**
       * Refused clients (plain, unknown keys) are logged per source and reason: the first at once, the rest as one
       * line with a count this often, so a flood of them cannot flood the logs and the database.
       */
      refusalLogIntervalMs: configInteger.min(100).max(86_400_000).default(10_000),
      /** Sources counted apart; beyond, refusals are counted together under "*". */
      refusalLogMaxSources: configInteger.min(1).default(100),
    })
    .strict()
    .prefault({}),
});

export type BusAppConfig = z.infer<typeof busAppConfigSchema>;
