// The WebSocket side of the gateway (`/ws` on the same server): authenticated at the upgrade (bearer token in the
// Authorization header, or the subprotocol "aico.bearer.<token>" where a browser cannot set headers), then JSON
// frames, each checked against its frame type's schema before anything reads it (ws-frames.ts): subscribe and
// unsubscribe to topic prefixes the role may read, publish what the role may send (ws-publications.ts), ping, and
// "auth" with a fresh token of the same session, without which the socket closes when its token expires (4002).
// Frames are rate-limited per connection and per user (4029 for a client that keeps on), sockets per user are
// capped, a client that does not keep up is dropped (4008), one that stops answering pings is terminated.
// The bridge owns the sockets and their lifetimes; what an admitted frame means is WsFrameHandler's (ws-frame-handler.ts).
import { STATUS_CODES, type IncomingMessage as HttpRequest, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { BusClient } from '@aico/bus';
import { TopicRegistry } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { AccessPolicy } from '@aico/policy';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { AuthService } from '../auth/auth.service';
import { bearerToken } from '../auth/auth.guard';
import type { AccessClaims } from '../auth/token.service';
import type { GatewayConfig } from '../gateway.config';
import { ActivityReporter } from '../health/activity-reporter';
import { authFailure, tokenExpiresAtMs } from './ws-auth';
import { activitySourceOf, WsFrameHandler, type FrameClient } from './ws-frame-handler';
import { parseClientFrame } from './ws-frames';
import { WsFrameLimiter, type ConnectionAllowance, type FrameVerdict } from './ws-frame-limiter';
import { WS_PATH, WS_PROTOCOL, WsCloseCode, WsErrorCode } from './ws-protocol';
import { WsTopicRelay } from './ws-topic-relay';

export { WS_PATH, WS_PROTOCOL, WsCloseCode } from './ws-protocol';

/** setTimeout's longest delay; a later expiry is checked again when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Client extends FrameClient {
  readonly socket: WebSocket;
  readonly allowance: ConnectionAllowance;
  alive: boolean;
  expiresAtMs: number;
  expiryTimer: NodeJS.Timeout | undefined;
}

export interface WsStats {
  readonly clients: number;
  readonly relayed: number;
  readonly droppedSlowClients: number;
  readonly rateLimitedFrames: number;
  readonly refusedConnections: number;
}

type Reply = Record<string, unknown>;

@Injectable()
export class WsBridge implements BeforeApplicationShutdown {
  private readonly server: WebSocketServer;
  private readonly clients = new Set<Client>();
  private readonly clientsByUser = new Map<string, Set<Client>>();
  private readonly relay: WsTopicRelay<Client>;
  private readonly limiter: WsFrameLimiter;
  private readonly frames: WsFrameHandler<Client>;
  private heartbeat: NodeJS.Timeout | undefined;
  private connections = 0;
  private droppedSlowClients = 0;
  private rateLimitedFrames = 0;
  private refusedConnections = 0;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    bus: BusClient,
    private readonly auth: AuthService,
    policy: AccessPolicy,
    private readonly activity: ActivityReporter,
    registry: TopicRegistry,
  ) {
    const settings = config.gateway;
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: settings.wsMaxFrameBytes,
      perMessageDeflate: false,
      handleProtocols: (offered) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
    });
    this.relay = new WsTopicRelay<Client>(bus, registry, logger, (client, frame) => this.sendRaw(client, frame));
    this.limiter = new WsFrameLimiter({
      framesPerMinute: settings.wsFramesPerMinute,
      frameBurst: settings.wsFrameBurst,
      userFramesPerMinute: settings.wsUserFramesPerMinute,
      userFrameBurst: settings.wsUserFrameBurst,
      refusalsBeforeClose: settings.wsRateLimitedBeforeClose,
    });
    this.frames = new WsFrameHandler<Client>({
      logger,
      auth,
      policy,
      relay: this.relay,
      ports: { bus, activity, now: Date.now },
      connections: {
        isOpen: (client) => this.clients.has(client),
        send: (client, frame) => this.send(client, frame),
        close: (client, code, reason) => this.closeClient(client, code, reason),
        renewed: (client) => this.scheduleExpiry(client),
      },
    });
    // A session ended here (logout, "log out everywhere", a revoked account) closes its sockets now, not at the next beat.
    auth.onSessionsEnded((sessionIds) => this.endSessions(new Set(sessionIds)));
  }

  get stats(): WsStats {
    return {
      clients: this.clients.size,
      relayed: this.relay.relayed,
      droppedSlowClients: this.droppedSlowClients,
      rateLimitedFrames: this.rateLimitedFrames,
      refusedConnections: this.refusedConnections,
    };
  }

  attach(httpServer: Server): void {
    httpServer.on('upgrade', (request: HttpRequest, socket: Duplex, head: Buffer) => {
      // Node takes its own error listener off an upgraded socket: one reset while the token is checked would
      // otherwise be an uncaught 'error' event.
      socket.on('error', (error) => this.logger.debug({ err: error }, 'WebSocket upgrade connection error'));
      this.upgrade(request, socket, head).catch((error: unknown) => {
        this.logger.error({ err: error }, 'A WebSocket upgrade failed');
        refuse(socket, 500, WsErrorCode.Internal, 'The WebSocket could not be opened.');
      });
    });
    this.heartbeat = setInterval(() => {
      this.beat().catch((error: unknown) => this.logger.error({ err: error }, 'The WebSocket heartbeat failed'));
    }, this.config.gateway.wsHeartbeatMs);
    this.heartbeat.unref();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.heartbeat);
    for (const client of [...this.clients]) this.closeClient(client, WsCloseCode.GoingAway, 'gateway stopping');
    this.relay.close();
    this.server.close();
  }

  private async upgrade(request: HttpRequest, socket: Duplex, head: Buffer): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== WS_PATH) return refuse(socket, 404, 'NOT_FOUND', `WebSocket connections go to ${WS_PATH}.`);
    const protocols = String(request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((value) => value.trim());
    const token = bearerToken(request.headers.authorization) ?? protocols.find((value) => value.startsWith('aico.bearer.'))?.slice('aico.bearer.'.length);
    if (!token) return refuse(socket, 401, 'TOKEN_MISSING', 'Send an access token (Authorization: Bearer, or the subprotocol aico.bearer.<token>).');
    let claims: AccessClaims;
    try {
      claims = await this.auth.authenticate(token);
    } catch (error) {
      const failure = authFailure(error);
      return refuse(socket, failure.status, failure.code, failure.message);
    }
    const open = this.clientsByUser.get(claims.sub)?.size ?? 0;
    if (open >= this.config.gateway.wsMaxConnectionsPerUser) {
      this.refusedConnections++;
      this.logger.warn({ userId: claims.sub, open }, 'WebSocket refused: the user has as many connections as allowed');
      return refuse(
        socket,
        429,
        'TOO_MANY_CONNECTIONS',
        `At most ${this.config.gateway.wsMaxConnectionsPerUser} WebSocket connections per user; close one first.`,
      );
    }
    if (socket.destroyed) return;
    this.server.handleUpgrade(request, socket, head, (ws) => this.connected(ws, claims, token));
  }

  private connected(socket: WebSocket, claims: AccessClaims, token: string): void {
    socket.on('error', (error) => this.logger.debug({ err: error, userId: claims.sub }, 'WebSocket error'));
    const sockets = this.clientsByUser.get(claims.sub) ?? new Set<Client>();
    // Checked again here: the upgrade completes without waiting today, but the cap must not depend on it.
    if (sockets.size >= this.config.gateway.wsMaxConnectionsPerUser) {
      this.refusedConnections++;
      socket.close(WsCloseCode.TooManyConnections, 'too many connections for this user');
      return;
    }
    const client: Client = {
      name: `ws:${claims.sub}:${++this.connections}`,
      socket,
      claims,
      token,
      prefixes: new Set(),
      allowance: this.limiter.connection(claims.sub),
      alive: true,
      expiresAtMs: 0,
      expiryTimer: undefined,
    };
    this.clients.add(client);
    sockets.add(client);
    this.clientsByUser.set(claims.sub, sockets);
    this.scheduleExpiry(client);
    this.logger.info({ userId: claims.sub, role: claims.role, client: client.name, clients: this.clients.size }, 'WebSocket client connected');
    socket.on('pong', () => (client.alive = true));
    socket.on('message', (data: RawData, isBinary: boolean) => this.onFrame(client, data, isBinary));
    socket.on('close', () => this.disconnected(client));
  }

  private disconnected(client: Client): void {
    if (!this.clients.delete(client)) return;
    clearTimeout(client.expiryTimer);
    const sockets = this.clientsByUser.get(client.claims.sub);
    sockets?.delete(client);
    if (sockets?.size === 0) this.clientsByUser.delete(client.claims.sub);
    this.activity.away(activitySourceOf(client));
    this.relay.releaseAll(client);
    this.logger.info({ userId: client.claims.sub, client: client.name, clients: this.clients.size }, 'WebSocket client disconnected');
  }

  private closeClient(client: Client, code: number, reason: string): void {
    client.socket.close(code, reason);
    this.disconnected(client);
  }

  /** Handles one frame; nothing a client sends may throw out of here (an uncaught error would stop the gateway). */
  private onFrame(client: Client, data: RawData, isBinary: boolean): void {
    if (!this.clients.has(client)) return;
    try {
      const verdict = this.limiter.admit(client.allowance);
      if (!verdict.admitted) return this.rateLimited(client, verdict);
      const parsed = parseClientFrame(data, isBinary);
      if (!parsed.ok) return this.send(client, { type: 'error', ...parsed.error });
      this.frames.handle(client, parsed.frame);
    } catch (error) {
      this.logger.error({ err: error, userId: client.claims.sub }, 'A WebSocket frame could not be handled');
      this.send(client, { type: 'error', code: WsErrorCode.Internal, message: 'The frame could not be handled: a defect of the gateway, logged there.' });
    }
  }

  private rateLimited(client: Client, verdict: Extract<FrameVerdict, { admitted: false }>): void {
    this.rateLimitedFrames++;
    if (verdict.close) {
      this.logger.warn(
        { userId: client.claims.sub, client: client.name, scope: verdict.scope },
        'Closing a WebSocket that kept sending over its frame rate limit',
      );
      return this.closeClient(client, WsCloseCode.RateLimited, 'too many frames');
    }
    const { limits } = this.limiter;
    const allowance =
      verdict.scope === 'connection'
        ? `${limits.framesPerMinute} a minute per connection (bursts of ${limits.frameBurst})`
        : `${limits.userFramesPerMinute} a minute per user (bursts of ${limits.userFrameBurst})`;
    this.send(client, {
      type: 'error',
      code: WsErrorCode.RateLimited,
      scope: verdict.scope,
      message: `Too many frames: at most ${allowance}. This frame was not handled; slow down.`,
    });
  }

  private scheduleExpiry(client: Client): void {
    clearTimeout(client.expiryTimer);
    const now = Date.now();
    client.expiresAtMs = tokenExpiresAtMs(client.token) ?? now + this.config.gateway.accessTokenTtlSeconds * 1000;
    client.expiryTimer = setTimeout(() => this.checkExpiry(client), Math.min(Math.max(0, client.expiresAtMs - now), MAX_TIMER_MS));
    client.expiryTimer.unref();
  }

  private checkExpiry(client: Client): void {
    if (!this.clients.has(client)) return;
    if (Date.now() < client.expiresAtMs) return this.scheduleExpiry(client);
    this.logger.info({ userId: client.claims.sub, client: client.name }, 'Closing a WebSocket whose access token expired');
    this.closeClient(client, WsCloseCode.TokenExpired, 'access token expired');
  }

  /**
   * Sends a frame the gateway made (not a bus event: a model pull's progress) to every open socket of one user, and
   * to nobody else. Answers how many sockets it went to.
   */
  sendToUser(userId: string, frame: Reply): number {
    const sockets = this.clientsByUser.get(userId);
    if (!sockets || sockets.size === 0) return 0;
    const text = JSON.stringify(frame);
    for (const client of sockets) this.sendRaw(client, text);
    return sockets.size;
  }

  private send(client: Client, frame: Reply): void {
    this.sendRaw(client, JSON.stringify(frame));
  }

  private sendRaw(client: Client, frame: string): void {
    if (client.socket.readyState !== client.socket.OPEN) return;
    if (client.socket.bufferedAmount > this.config.gateway.wsMaxBufferedBytes) {
      this.droppedSlowClients++;
      this.logger.warn({ userId: client.claims.sub, bufferedBytes: client.socket.bufferedAmount }, 'Dropping a WebSocket client that does not keep up');
      this.closeClient(client, WsCloseCode.TooSlow, 'too slow: frames were not read');
      // A client that does not read will not read the close frame either.
      setTimeout(() => client.socket.terminate(), 1_000).unref();
      return;
    }
    client.socket.send(frame);
  }

  private endSessions(sessionIds: ReadonlySet<string>): void {
    for (const client of [...this.clients]) {
      if (sessionIds.has(client.claims.sid)) this.closeClient(client, WsCloseCode.SessionEnded, 'session ended');
    }
  }

  /** Pings every client; one that did not answer the last ping, whose session ended or whose token expired, is let go. */
  private async beat(): Promise<void> {
    this.limiter.sweep(new Set(this.clientsByUser.keys()));
    for (const client of [...this.clients]) {
      if (!client.alive) {
        client.socket.terminate();
        this.disconnected(client);
        continue;
      }
      try {
        await this.auth.authenticate(client.token);
      } catch (error) {
        const code = authFailure(error).code;
        if (!this.clients.has(client)) continue;
        if (code === WsErrorCode.SessionEnded) {
          this.closeClient(client, WsCloseCode.SessionEnded, 'session ended');
          continue;
        }
        if (code === WsErrorCode.TokenExpired) {
          this.closeClient(client, WsCloseCode.TokenExpired, 'access token expired');
          continue;
        }
      }
      client.alive = false;
      client.socket.ping();
    }
  }
}

/** Answers an upgrade request with an HTTP error in the REST API's error shape, and closes the connection. */
function refuse(socket: Duplex, status: number, code: string, message: string): void {
  if (socket.destroyed) return;
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
