// The WebSocket side of the gateway (`/ws` on the same server): authenticated at the upgrade (bearer token in the
// Authorization header, or the subprotocol "aico.bearer.<token>" where a browser cannot set headers), then JSON
// frames: subscribe/unsubscribe to topic prefixes the role may read, publish events the role may send, and bus
// events relayed as JSON made from the protobuf schemas (`toJson`). A client that does not keep up is dropped
// (close 4008) instead of buffering without bound; one that stops answering pings is terminated.
import type { IncomingMessage as HttpRequest, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { fromJson, toJson, type DescMessage, type JsonValue } from '@bufbuild/protobuf';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { BusClient, type IncomingMessage } from '@aico/bus';
import { defaultTopicRegistry } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { AccessPolicy } from '@aico/policy';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { AuthService } from '../auth/auth.service';
import { ActivityReporter } from '../health/activity-reporter';
import { bearerToken } from '../auth/auth.guard';
import type { AccessClaims } from '../auth/token.service';
import type { GatewayConfig } from '../gateway.config';

export const WS_PATH = '/ws';
export const WS_PROTOCOL = 'aico.v1';
export const WsCloseCode = { TooSlow: 4008, SessionEnded: 4001, GoingAway: 1001 } as const;
const MAX_FRAME_BYTES = 64 * 1024;
const MAX_SUBSCRIPTIONS = 64;

interface Client {
  /** For activity reports: one front-end connection. */
  readonly name: string;
  readonly socket: WebSocket;
  readonly claims: AccessClaims;
  readonly token: string;
  readonly prefixes: Set<string>;
  alive: boolean;
}

type ClientFrame =
  | { type: 'subscribe'; topic: string; id?: string }
  | { type: 'unsubscribe'; topic: string; id?: string }
  | { type: 'publish'; topic: string; payload: JsonValue; id?: string }
  | { type: 'ping'; id?: string };

export interface WsStats {
  readonly clients: number;
  readonly relayed: number;
  readonly droppedSlowClients: number;
}

@Injectable()
export class WsBridge implements BeforeApplicationShutdown {
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, perMessageDeflate: false, handleProtocols: (offered) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false) });
  private readonly clients = new Set<Client>();
  /** Bus subscriptions by prefix, shared by every client subscribed to it. */
  private readonly busSubscriptions = new Map<string, { unsubscribe: () => void; clients: Set<Client> }>();
  private heartbeat: NodeJS.Timeout | undefined;
  private relayed = 0;
  private connections = 0;
  private droppedSlowClients = 0;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly bus: BusClient,
    private readonly auth: AuthService,
    private readonly policy: AccessPolicy,
    private readonly activity: ActivityReporter,
  ) {
    // A session ended here (logout, "log out everywhere", a revoked account) closes its sockets now, not at the next beat.
    auth.onSessionsEnded((sessionIds) => this.endSessions(new Set(sessionIds)));
  }

  get stats(): WsStats {
    return { clients: this.clients.size, relayed: this.relayed, droppedSlowClients: this.droppedSlowClients };
  }

  attach(httpServer: Server): void {
    httpServer.on('upgrade', (request: HttpRequest, socket: Duplex, head: Buffer) => void this.upgrade(request, socket, head));
    this.heartbeat = setInterval(() => void this.beat(), this.config.gateway.wsHeartbeatMs);
    this.heartbeat.unref();
  }

  beforeApplicationShutdown(): void {
    clearInterval(this.heartbeat);
    for (const client of this.clients) client.socket.close(WsCloseCode.GoingAway, 'gateway stopping');
    for (const subscription of this.busSubscriptions.values()) subscription.unsubscribe();
    this.server.close();
  }

  private async upgrade(request: HttpRequest, socket: Duplex, head: Buffer): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== WS_PATH) return refuse(socket, 404, 'Not Found', 'NOT_FOUND', `WebSocket connections go to ${WS_PATH}.`);
    const protocols = String(request.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((value) => value.trim());
    const token = bearerToken(request.headers.authorization) ?? protocols.find((value) => value.startsWith('aico.bearer.'))?.slice('aico.bearer.'.length);
    if (!token) return refuse(socket, 401, 'Unauthorized', 'TOKEN_MISSING', 'Send an access token (Authorization: Bearer, or the subprotocol aico.bearer.<token>).');
    let claims: AccessClaims;
    try {
      claims = await this.auth.authenticate(token);
    } catch (error) {
      return refuse(socket, 401, 'Unauthorized', (error as { code?: string }).code ?? 'TOKEN_INVALID', (error as Error).message);
    }
    this.server.handleUpgrade(request, socket, head, (ws) => this.connected(ws, claims, token));
  }

  private connected(socket: WebSocket, claims: AccessClaims, token: string): void {
    const client: Client = { name: `ws:${claims.sub}:${++this.connections}`, socket, claims, token, prefixes: new Set(), alive: true };
    this.clients.add(client);
    this.logger.info({ userId: claims.sub, role: claims.role, clients: this.clients.size }, 'WebSocket client connected');
    socket.on('pong', () => (client.alive = true));
    socket.on('message', (data: RawData, isBinary: boolean) => this.onFrame(client, data, isBinary));
    socket.on('close', () => this.disconnected(client));
    socket.on('error', (error) => this.logger.debug({ err: error, userId: claims.sub }, 'WebSocket error'));
  }

  private disconnected(client: Client): void {
    if (!this.clients.delete(client)) return;
    this.activity.away(client.name);
    for (const prefix of client.prefixes) this.release(prefix, client);
  }

  private onFrame(client: Client, data: RawData, isBinary: boolean): void {
    let frame: ClientFrame;
    try {
      if (isBinary) throw new Error('binary');
      frame = JSON.parse(String(data)) as ClientFrame;
      if (typeof frame !== 'object' || frame === null || typeof frame.type !== 'string') throw new Error('shape');
    } catch {
      this.send(client, { type: 'error', code: 'MALFORMED_FRAME', message: 'Frames are JSON objects with a "type": subscribe, unsubscribe, publish or ping.' });
      return;
    }
    const id = typeof frame.id === 'string' ? { id: frame.id } : {};
    if (frame.type !== 'ping') this.activity.input(client.name);
    switch (frame.type) {
      case 'ping':
        this.send(client, { type: 'pong', ...id });
        return;
      case 'subscribe':
        this.subscribe(client, String(frame.topic ?? ''), id);
        return;
      case 'unsubscribe':
        if (client.prefixes.delete(String(frame.topic))) this.release(String(frame.topic), client);
        this.send(client, { type: 'unsubscribed', topic: frame.topic, ...id });
        return;
      case 'publish':
        void this.publish(client, frame, id);
        return;
      default:
        this.send(client, { type: 'error', code: 'UNKNOWN_FRAME', message: `Unknown frame type "${String((frame as { type: unknown }).type)}".`, ...id });
    }
  }

  private subscribe(client: Client, prefix: string, id: { id?: string }): void {
    if (!/^[a-z][a-z0-9_.-]{0,127}$/.test(prefix)) {
      this.send(client, { type: 'error', code: 'INVALID_TOPIC', message: 'A topic prefix is lowercase letters, digits, dots, dashes or underscores.', ...id });
      return;
    }
    const decision = this.policy.canSubscribe({ kind: 'user', role: client.claims.role }, prefix);
    if (!decision.allowed) {
      this.logger.info({ userId: client.claims.sub, prefix, reason: decision.reason }, 'WebSocket subscription refused');
      this.send(client, { type: 'error', code: 'FORBIDDEN_TOPIC', message: `Not allowed: ${decision.reason}.`, topic: prefix, ...id });
      return;
    }
    // Prefixes of one client never overlap, so each bus message reaches a client once.
    if ([...client.prefixes].some((held) => prefix.startsWith(held))) {
      this.send(client, { type: 'subscribed', topic: prefix, ...id });
      return;
    }
    if (client.prefixes.size >= MAX_SUBSCRIPTIONS) {
      this.send(client, { type: 'error', code: 'TOO_MANY_SUBSCRIPTIONS', message: `At most ${MAX_SUBSCRIPTIONS} subscriptions per connection.`, ...id });
      return;
    }
    for (const held of [...client.prefixes]) {
      if (held.startsWith(prefix)) {
        client.prefixes.delete(held);
        this.release(held, client);
      }
    }
    client.prefixes.add(prefix);
    let subscription = this.busSubscriptions.get(prefix);
    if (!subscription) {
      const clients = new Set<Client>();
      subscription = { clients, unsubscribe: this.bus.subscribePrefix(prefix, (message) => this.relay(message, clients)) };
      this.busSubscriptions.set(prefix, subscription);
    }
    subscription.clients.add(client);
    this.send(client, { type: 'subscribed', topic: prefix, ...id });
  }

  private release(prefix: string, client: Client): void {
    const subscription = this.busSubscriptions.get(prefix);
    if (!subscription) return;
    subscription.clients.delete(client);
    if (subscription.clients.size === 0) {
      subscription.unsubscribe();
      this.busSubscriptions.delete(prefix);
    }
  }

  private relay(message: IncomingMessage, clients: ReadonlySet<Client>): void {
    const definition = defaultTopicRegistry.get(message.topic);
    // Requests and replies are not events a front end follows.
    if (!definition || definition.kind !== 'event' || clients.size === 0) return;
    let frame: string;
    try {
      frame = JSON.stringify({
        type: 'event',
        topic: message.topic,
        source: message.source,
        messageId: message.envelope.id,
        correlationId: message.correlationId,
        timestamp: message.envelope.timestamp ? new Date(Number(message.envelope.timestamp.seconds) * 1000 + Math.floor(message.envelope.timestamp.nanos / 1e6)).toISOString() : undefined,
        payload: toJson(definition.payload, message.payload),
      });
    } catch (error) {
      this.logger.warn({ err: error, topic: message.topic }, 'A bus event could not be converted to JSON for WebSocket clients');
      return;
    }
    // An event about one user (its payload names the user) goes only to that user's connections: one person's
    // messages, avatar speech or consent changes are not another's to see.
    const owner = namesUser(definition.payload) ? (message.payload as unknown as { userId?: string }).userId : undefined;
    let sent = 0;
    for (const client of clients) {
      if (owner && client.claims.sub !== owner) continue;
      this.sendRaw(client, frame);
      sent++;
    }
    this.relayed += sent;
  }

  private async publish(client: Client, frame: Extract<ClientFrame, { type: 'publish' }>, id: { id?: string }): Promise<void> {
    const topic = String(frame.topic ?? '');
    const decision = this.policy.canPublish({ kind: 'user', role: client.claims.role }, topic);
    const definition = defaultTopicRegistry.get(topic);
    if (!decision.allowed || !definition || definition.kind !== 'event') {
      this.send(client, { type: 'error', code: 'FORBIDDEN_TOPIC', message: `Not allowed: ${decision.reason}.`, topic, ...id });
      return;
    }
    let payload;
    try {
      payload = fromJson(definition.payload, frame.payload ?? {});
    } catch (error) {
      this.send(client, { type: 'error', code: 'INVALID_PAYLOAD', message: `The payload is not a valid ${definition.payload.typeName}: ${(error as Error).message}`, topic, ...id });
      return;
    }
    // Whoever the payload says, it comes from the authenticated user.
    if (namesUser(definition.payload)) (payload as unknown as { userId: string }).userId = client.claims.sub;
    try {
      await this.bus.publish(topic, payload, { attributes: { user: client.claims.sub } });
      this.send(client, { type: 'published', topic, ...id });
    } catch (error) {
      this.send(client, { type: 'error', code: 'PUBLISH_FAILED', message: (error as Error).message, topic, ...id });
    }
  }

  private send(client: Client, frame: Record<string, unknown>): void {
    this.sendRaw(client, JSON.stringify(frame));
  }

  private sendRaw(client: Client, frame: string): void {
    if (client.socket.readyState !== client.socket.OPEN) return;
    if (client.socket.bufferedAmount > this.config.gateway.wsMaxBufferedBytes) {
      this.droppedSlowClients++;
      this.logger.warn({ userId: client.claims.sub, bufferedBytes: client.socket.bufferedAmount }, 'Dropping a WebSocket client that does not keep up');
      client.socket.close(WsCloseCode.TooSlow, 'too slow: frames were not read');
      // A client that does not read will not read the close frame either.
      setTimeout(() => client.socket.terminate(), 1_000).unref();
      this.disconnected(client);
      return;
    }
    client.socket.send(frame);
  }

  private endSessions(sessionIds: ReadonlySet<string>): void {
    for (const client of [...this.clients]) {
      if (sessionIds.has(client.claims.sid)) this.sessionEnded(client);
    }
  }

  private sessionEnded(client: Client): void {
    client.socket.close(WsCloseCode.SessionEnded, 'session ended');
    this.disconnected(client);
  }

  /** Pings every client; one that did not answer the last ping, or whose session ended, is let go. */
  private async beat(): Promise<void> {
    for (const client of [...this.clients]) {
      if (!client.alive) {
        client.socket.terminate();
        this.disconnected(client);
        continue;
      }
      try {
        await this.auth.authenticate(client.token);
      } catch (error) {
        if ((error as { code?: string }).code === 'SESSION_ENDED') {
          this.sessionEnded(client);
          continue;
        }
      }
      client.alive = false;
      client.socket.ping();
    }
  }
}

function refuse(socket: Duplex, status: number, text: string, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** Whether a topic's payload says which user it is about (a `user_id` field). */
function namesUser(schema: DescMessage): boolean {
  return schema.fields.some((field) => field.localName === 'userId');
}
