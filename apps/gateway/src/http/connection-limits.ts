// How long the gateway waits for a client, and how many it holds at once. Without these a client can open thousands
// of TLS connections and never send a byte (each costs memory until the kernel gives up). Set on the HTTP(S) server
// before it listens: headers and whole requests must arrive in time, a kept-alive connection waiting for its next
// request is closed, a connection with no traffic at all is closed (WebSockets turn this off for themselves and keep
// their own heartbeat), and past `maxConnections` new connections are refused. Refusals are counted and logged: the
// first at once, then one summary line per interval while they go on. The TLS handshake timeout is a constructor
// option of the server (tlsServerTimeouts, passed with the TLS options).
import type { Server } from 'node:http';
import type { Logger } from '@aico/logging';

export interface ConnectionLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
}

export interface ConnectionLimitStats {
  /** Connections refused because the server held maxConnections. */
  readonly refused: number;
}

const SUMMARY_INTERVAL_MS = 10_000;

/** The server options that only take effect when the server is made: the TLS handshake deadline and how often header and request deadlines are checked. */
export function tlsServerTimeouts(limits: { readonly tlsHandshakeTimeoutMs: number; readonly headersTimeoutMs: number }): {
  handshakeTimeout: number;
  connectionsCheckingInterval: number;
} {
  return {
    handshakeTimeout: limits.tlsHandshakeTimeoutMs,
    connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

export function applyConnectionLimits(server: Server, limits: ConnectionLimits, logger: Logger, summaryIntervalMs = SUMMARY_INTERVAL_MS): ConnectionLimitStats {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // No 'timeout' listener on the server: Node then destroys a socket that was silent this long.
  server.timeout = limits.idleTimeoutMs;
  server.maxConnections = limits.maxConnections;

  const stats = { refused: 0 };
  let unreported = 0;
  let summary: NodeJS.Timeout | undefined;
  const report = (first: boolean) => {
    logger.warn(
      { maxConnections: limits.maxConnections, refused: unreported, refusedTotal: stats.refused },
      first
        ? 'Refused a connection: the gateway holds its maximum number of connections'
        : 'Still refusing connections: the gateway holds its maximum number of connections',
    );
    unreported = 0;
  };
  server.on('drop', () => {
    stats.refused++;
    unreported++;
    if (summary) return;
    report(true);
    const tick = () => {
      if (unreported === 0) {
        summary = undefined;
        return;
      }
      report(false);
      summary = setTimeout(tick, summaryIntervalMs).unref();
    };
    summary = setTimeout(tick, summaryIntervalMs).unref();
  });
  server.once('close', () => clearTimeout(summary));
  return stats;
}
