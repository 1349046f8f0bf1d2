// How the gateway serves HTTP: TLS with the locally made certificate and the gateway's TLS policy (plain HTTP only
// when configured for a loopback host), deadlines and a cap on connections, the request pipeline, the /api/v1
// prefix, the web client on every other path, and the WebSocket bridge on the same server.
import type { Server } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { HttpServerSetup, ServiceHttpContext } from '@aico/service';
import type { GatewayConfig } from './gateway.config';
import { applyConnectionLimits, tlsServerTimeouts } from './http/connection-limits';
import { configureHttpPipeline } from './http/http-pipeline';
import { API_PREFIX } from './http/openapi-document';
import { serveWebClient } from './http/web-client';
import { loadOrCreateTlsCertificate } from './tls/tls-certificate';
import { TLS_POLICY } from './tls/tls-policy';
import { WsBridge } from './ws/ws-bridge';

export async function gatewayHttp({ config, keys, logger }: ServiceHttpContext<GatewayConfig>): Promise<HttpServerSetup> {
  const { gateway } = config;
  let httpsOptions: HttpServerSetup['httpsOptions'];
  if (gateway.tls) {
    const tls = await loadOrCreateTlsCertificate(config.dataDir, keys.purposeKey('file'), gateway.host, logger);
    logger.info({ fingerprint: tls.fingerprint, validTo: tls.validTo, created: tls.created }, 'Gateway TLS certificate (SHA-256 fingerprint)');
    // The handshake deadline takes effect only when the server is made (auth-transport.e2e-spec checks it holds).
    httpsOptions = { key: tls.key, cert: tls.cert, ...TLS_POLICY, ...tlsServerTimeouts(gateway) };
  } else {
    logger.warn({ host: gateway.host }, 'The gateway serves plain HTTP (gateway.tls=false): for loopback development only');
  }
  return {
    host: gateway.host,
    port: gateway.port,
    ...(httpsOptions ? { httpsOptions } : {}),
    configure: (app: INestApplication) => {
      applyConnectionLimits(app.getHttpServer() as Server, gateway, logger);
      configureHttpPipeline(app, { maxBodyBytes: gateway.maxBodyBytes, corsOrigins: gateway.corsOrigins, logger });
      serveWebClient(app, { webRoot: gateway.webRoot, avatarRoot: gateway.avatarRoot, logger });
      app.setGlobalPrefix(API_PREFIX.slice(1));
      app.get(WsBridge).attach(app.getHttpServer() as Server);
    },
  };
}
