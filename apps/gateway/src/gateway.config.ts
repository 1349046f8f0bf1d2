import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { baseConfigSchema, configBoolean, configInteger, configList, z } from '@aico/config';

export const gatewayConfigSchema = baseConfigSchema.extend({
  gateway: z
    .object({
      host: z.string().min(1).default('127.0.0.1'),
      port: configInteger.min(0).max(65_535).default(8443),
      /** TLS with a certificate made at first start. Plain HTTP only on a loopback host, and only when asked. */
      tls: configBoolean.default(true),
      /** Lifetime of an access token (JWT, HS256 under the token-signing key). */
      accessTokenTtlSeconds: configInteger.min(10).max(86_400).default(900),
      refreshTokenTtlDays: configInteger.min(1).max(365).default(30),
      /** Largest JSON request body. */
      maxBodyBytes: configInteger
        .min(1024)
        .max(4 * 1024 * 1024)
        .default(64 * 1024),
      /**
       * Login attempts of an account before it waits (lockoutBaseDelayMs, doubling with every further attempt, up to
       * lockoutMaxDelayMs). Attempts are counted before the password is checked, so concurrent guesses count too.
       */
      lockoutFreeAttempts: configInteger.min(1).default(5),
      lockoutBaseDelayMs: configInteger.min(1).default(1_000),
      lockoutMaxDelayMs: configInteger.min(1).default(15 * 60_000),
      /**
       * Requests per client per route per rate window; login and refresh have their own, stricter limit. A client is
       * an IPv4 address, an IPv6 /64, or the whole loopback (127.0.0.0/8 and ::1 are one client).
       */
      rateLimitPerMinute: configInteger.min(1).default(600),
      loginRateLimitPerMinute: configInteger.min(1).default(20),
      /** Login attempts per account (whatever their source) per rate window. */
      loginRateLimitPerAccount: configInteger.min(1).default(10),
      /** The window the rate limits count in (a minute; tests lengthen it so no test races the clock). */
      rateLimitWindowMs: configInteger.min(1_000).default(60_000),
      /** Password hashes (Argon2id) computed at once, and how many more may wait; beyond that, 503 with Retry-After. */
      passwordHashConcurrency: configInteger.min(1).default(availableParallelism()),
      passwordHashQueueLimit: configInteger.min(0).default(32),
      /** A TLS handshake not finished within this is dropped. */
      tlsHandshakeTimeoutMs: configInteger.min(100).default(10_000),
      /** Request headers, and whole requests, must arrive within these. */
      headersTimeoutMs: configInteger.min(100).default(20_000),
      requestTimeoutMs: configInteger.min(100).default(60_000),
      /** A kept-alive connection waiting for its next request is closed after this. */
      keepAliveTimeoutMs: configInteger.min(100).default(5_000),
      /** A connection with no traffic for this long (a request never sent, a stalled upload) is closed; WebSockets keep their own heartbeat. */
      idleTimeoutMs: configInteger.min(100).default(60_000),
      /** Connections held at once (WebSockets included); more are refused and counted in the log. */
      maxConnections: configInteger.min(1).default(1_000),
      /** Origins allowed by CORS; none by default (the web client is served from the same origin). */
      corsOrigins: configList(z.string().url()).default([]),
      /** A WebSocket client whose unsent frames exceed this is disconnected (close code 4008). */
      wsMaxBufferedBytes: configInteger.min(1024).default(1024 * 1024),
      wsHeartbeatMs: configInteger.min(100).default(30_000),
      /** Largest WebSocket frame a client may send; a larger one closes the socket (close code 1009). */
      wsMaxFrameBytes: configInteger
        .min(1024)
        .max(1024 * 1024)
        .default(64 * 1024),
      /**
       * Frames a WebSocket client may send: a token bucket per connection and one per user (all of that user's
       * connections). A frame over either is answered RATE_LIMITED and not handled.
       */
      wsFramesPerMinute: configInteger.min(1).default(1_200),
      wsFrameBurst: configInteger.min(1).default(100),
      wsUserFramesPerMinute: configInteger.min(1).default(3_000),
      wsUserFrameBurst: configInteger.min(1).default(300),
      /** RATE_LIMITED answers (less one per frame handled since) before the socket is closed (close code 4029). */
      wsRateLimitedBeforeClose: configInteger.min(1).default(50),
      /** Open WebSockets per user; one more is refused with 429 TOO_MANY_CONNECTIONS. */
      wsMaxConnectionsPerUser: configInteger.min(1).default(16),
      /** Consent purposes a user may grant; non-essential ones start denied. */
      consentPurposes: configList(z.string().regex(/^[a-z][a-z0-9_.-]*$/)).default(['conversation.memory', 'voice', 'telemetry']),
      essentialPurposes: configList(z.string()).default([]),
      /** Apps that must be up for /health/ready to say ready. */
      requiredApps: configList(z.string()).default(['keys', 'storage']),
      /** Heartbeats missed before an app counts as down. */
      missedHeartbeats: configInteger.min(1).default(3),
      /**
       * The built web client (`npx nx build web`), served on the gateway's own origin. By default dist/apps/web beside
       * this build (dist/apps/gateway/apps/gateway/src → dist/apps/web).
       */
      webRoot: z.string().min(1).default(resolve(__dirname, '../../../../web')),
      /** The built avatar page (`npx nx build avatar`), served at /embed/avatar/; by default dist/apps/avatar beside this build. */
      avatarRoot: z.string().min(1).default(resolve(__dirname, '../../../../avatar')),
      /** Check every REST answer against its route's declared response schema (tests; 500 on a mismatch). */
      validateResponses: configBoolean.default(false),
    })
    .prefault({})
    .refine((gateway) => gateway.headersTimeoutMs <= gateway.requestTimeoutMs, {
      message: 'headersTimeoutMs must not exceed requestTimeoutMs',
      path: ['headersTimeoutMs'],
    })
    .refine((gateway) => gateway.tls || ['127.0.0.1', '::1', 'localhost'].includes(gateway.host), {
      message: 'plain HTTP (gateway.tls=false) is only allowed on a loopback host',
      path: ['tls'],
    }),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
