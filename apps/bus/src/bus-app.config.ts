import { baseConfigSchema, configInteger, z } from '@aico/config';

export const busAppConfigSchema = baseConfigSchema.extend({
  proxy: z
    .object({
      /** High-water mark of the proxy's sockets, in messages. */
      highWaterMark: configInteger.min(1).default(10_000),
      /** A publisher that sends a larger frame is disconnected by libzmq. */
      maxMessageBytes: configInteger.min(1024).default(16 * 1024 * 1024),
    })
    .strict()
    .prefault({}),
});

export type BusAppConfig = z.infer<typeof busAppConfigSchema>;
