// What each client frame means once the bridge has admitted it (rate limit) and checked it (ws-frames.ts): ping,
// subscribe and unsubscribe to topic prefixes the role may read, publish what the role may send (ws-publications.ts),
// and "auth" with a fresh token of the same session. The sockets themselves stay the bridge's (ws-bridge.ts): this
// answers on them, and asks the bridge to close one or to renew its lifetime, through FrameConnections.
import { MonitorTopics } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import type { AccessPolicy } from '@aico/policy';
import type { AuthService } from '../auth/auth.service';
import type { AccessClaims } from '../auth/token.service';
import type { ActivitySource } from '../health/activity-reporter';
import { isoTimeOfMs } from '../time/iso-time';
import { authFailure, tokenSession } from './ws-auth';
import { describeZodError, type ClientFrame } from './ws-frames';
import { WsCloseCode, WsErrorCode } from './ws-protocol';
import { WS_PUBLICATIONS, type PublicationPorts } from './ws-publications';
import { MAX_SUBSCRIPTIONS, type RelayClient, type WsTopicRelay } from './ws-topic-relay';

type FrameOf<T extends ClientFrame['type']> = Extract<ClientFrame, { type: T }>;
type Reply = Record<string, unknown>;

/** What the handler needs of a connection: who it is, what it follows, and its token (an "auth" frame replaces it). */
export interface FrameClient extends RelayClient {
  /** The gateway's name for this connection (activity reports): a client never chooses it. */
  readonly name: string;
  claims: AccessClaims;
  token: string;
  readonly expiresAtMs: number;
}

/** The bridge's side: its sockets, which the handler answers on but does not own. */
export interface FrameConnections<C> {
  /** Still open: an answer that comes after an await is dropped for a socket closed meanwhile. */
  isOpen(client: C): boolean;
  send(client: C, frame: Reply): void;
  close(client: C, code: number, reason: string): void;
  /** The client's token was replaced: the socket now lives as long as the new one does (sets expiresAtMs). */
  renewed(client: C): void;
}

export interface FrameHandlerDeps<C extends FrameClient> {
  readonly logger: Logger;
  readonly auth: Pick<AuthService, 'authenticate'>;
  readonly policy: Pick<AccessPolicy, 'canSubscribe' | 'canPublish'>;
  readonly relay: Pick<WsTopicRelay<C>, 'follow' | 'release'>;
  readonly ports: PublicationPorts;
  readonly connections: FrameConnections<C>;
}

export function activitySourceOf(client: FrameClient): ActivitySource {
  return { userId: client.claims.sub, client: client.name };
}

export class WsFrameHandler<C extends FrameClient> {
  constructor(private readonly deps: FrameHandlerDeps<C>) {}

  /** Handles one checked frame. A synchronous throw is the caller's to catch; a failed await answers INTERNAL_ERROR. */
  handle(client: C, frame: ClientFrame): void {
    const id = frame.id === undefined ? {} : { id: frame.id };
    // What a person does counts as activity; pings and token renewals are the client's own doing, and an explicit
    // activity report says for itself what it is.
    if (frame.type === 'subscribe' || frame.type === 'unsubscribe' || (frame.type === 'publish' && frame.topic !== MonitorTopics.activityReported.topic))
      this.deps.ports.activity.input(activitySourceOf(client));
    switch (frame.type) {
      case 'ping':
        return this.send(client, { type: 'pong', ...id });
      case 'subscribe':
        return this.subscribe(client, frame.topic, id);
      case 'unsubscribe':
        this.deps.relay.release(client, frame.topic);
        return this.send(client, { type: 'unsubscribed', topic: frame.topic, ...id });
      case 'publish':
        this.publish(client, frame, id).catch((error: unknown) => this.failed(client, error, id));
        return;
      case 'auth':
        this.reauthenticate(client, frame, id).catch((error: unknown) => this.failed(client, error, id));
        return;
      default: {
        const unhandled: never = frame;
        throw new Error(`unhandled frame ${JSON.stringify(unhandled)}`);
      }
    }
  }

  private subscribe(client: C, prefix: string, id: Reply): void {
    const decision = this.deps.policy.canSubscribe({ kind: 'user', role: client.claims.role }, prefix);
    if (!decision.allowed) {
      this.deps.logger.info({ userId: client.claims.sub, prefix, reason: decision.reason }, 'WebSocket subscription refused');
      return this.send(client, { type: 'error', code: WsErrorCode.ForbiddenTopic, message: `Not allowed: ${decision.reason}.`, topic: prefix, ...id });
    }
    if (this.deps.relay.follow(client, prefix) === 'too-many') {
      return this.send(client, {
        type: 'error',
        code: WsErrorCode.TooManySubscriptions,
        message: `At most ${MAX_SUBSCRIPTIONS} subscriptions per connection.`,
        ...id,
      });
    }
    this.send(client, { type: 'subscribed', topic: prefix, ...id });
  }

  private async publish(client: C, frame: FrameOf<'publish'>, id: Reply): Promise<void> {
    const { topic } = frame;
    const decision = this.deps.policy.canPublish({ kind: 'user', role: client.claims.role }, topic);
    const publication = WS_PUBLICATIONS.get(topic);
    if (!decision.allowed || !publication) {
      const reason = decision.allowed ? `${topic} is not published over the WebSocket` : decision.reason;
      return this.send(client, { type: 'error', code: WsErrorCode.ForbiddenTopic, message: `Not allowed: ${reason}.`, topic, ...id });
    }
    const input = publication.schema.safeParse(frame.payload);
    if (!input.success)
      return this.send(client, {
        type: 'error',
        code: WsErrorCode.InvalidPayload,
        message: `The payload is not valid for ${topic}: ${describeZodError(input.error)}`,
        topic,
        ...id,
      });
    try {
      const answer = await publication.publish(input.data, { userId: client.claims.sub, connection: client.name }, this.deps.ports);
      this.send(client, { type: 'published', topic, ...answer, ...id });
    } catch (error) {
      this.deps.logger.warn({ err: error, userId: client.claims.sub, topic }, 'A WebSocket publication could not be put on the bus');
      this.send(client, { type: 'error', code: WsErrorCode.PublishFailed, message: 'The event could not be published now; try again.', topic, ...id });
    }
  }

  /** A fresh access token of the same user and session: the socket now lives as long as that token does. */
  private async reauthenticate(client: C, frame: FrameOf<'auth'>, id: Reply): Promise<void> {
    const { connections } = this.deps;
    let claims: AccessClaims;
    try {
      claims = await this.deps.auth.authenticate(frame.token);
    } catch (error) {
      const failure = authFailure(error);
      if (!connections.isOpen(client)) return;
      this.send(client, { type: 'error', code: failure.code, message: failure.message, ...id });
      if (failure.code === WsErrorCode.SessionEnded && client.claims.sid === tokenSession(frame.token))
        connections.close(client, WsCloseCode.SessionEnded, 'session ended');
      return;
    }
    if (!connections.isOpen(client)) return;
    if (claims.sub !== client.claims.sub || claims.sid !== client.claims.sid) {
      this.deps.logger.warn(
        { userId: client.claims.sub, client: client.name, presentedFor: claims.sub, sameUser: claims.sub === client.claims.sub },
        'WebSocket re-authentication refused: the token is of another user or session',
      );
      return this.send(client, {
        type: 'error',
        code: WsErrorCode.AuthMismatch,
        message: 'This token is of another user or session: a socket stays with the session it was opened for (open a new one).',
        ...id,
      });
    }
    client.claims = claims;
    client.token = frame.token;
    connections.renewed(client);
    // The role may have changed since the socket opened: what it may no longer read stops now.
    for (const prefix of [...client.prefixes]) {
      const decision = this.deps.policy.canSubscribe({ kind: 'user', role: claims.role }, prefix);
      if (decision.allowed) continue;
      this.deps.relay.release(client, prefix);
      this.send(client, { type: 'unsubscribed', topic: prefix, reason: `Not allowed any more: ${decision.reason}.` });
    }
    this.send(client, { type: 'authenticated', expiresAt: isoTimeOfMs(client.expiresAtMs), ...id });
  }

  private failed(client: C, error: unknown, id: Reply): void {
    this.deps.logger.error({ err: error, userId: client.claims.sub }, 'A WebSocket frame failed');
    this.send(client, { type: 'error', code: WsErrorCode.Internal, message: 'The frame could not be handled: a defect of the gateway, logged there.', ...id });
  }

  private send(client: C, frame: Reply): void {
    this.deps.connections.send(client, frame);
  }
}
