// The gateway's address, read the way the gateway reads it (defaults, config file, AICO_GATEWAY__* environment).
// The gateway's own schema lives in its app, which the CLI may not import: this reads just the keys it needs and
// lets the rest of the file through untouched.
import { configBoolean, configInteger, loadConfig, z } from '@aico/config';
import type { GatewayEndpoint } from './ports.check';

/** The gateway's defaults (apps/gateway/src/gateway.config.ts); a change there must be repeated here. */
const gatewayEndpointSchema = z.looseObject({
  gateway: z
    .looseObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: configInteger.min(0).max(65_535).default(8443),
      tls: configBoolean.default(true),
    })
    .prefault({}),
});

export function loadGatewayEndpoint(env?: NodeJS.ProcessEnv): GatewayEndpoint {
  const { config } = loadConfig({ schema: gatewayEndpointSchema, ...(env ? { env } : {}) });
  return { host: config.gateway.host, port: config.gateway.port, tls: config.gateway.tls };
}
