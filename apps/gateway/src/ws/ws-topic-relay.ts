// Bus events to WebSocket clients: one bus subscription per topic prefix, shared by every client following it, and
// each event converted to JSON once (from its protobuf schema, `toJson`) and sent to the clients that may see it.
// Who may see an event is what the topic registry declares for it (EventDefinition.audience): everyone following
// it, or only the sockets of the user its declared field names.
import { toJson } from '@bufbuild/protobuf';
import type { BusClient, IncomingMessage } from '@aico/bus';
import { eventOwner, type TopicRegistry } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { isoTimeOrNull } from '../time/iso-time';

export const MAX_SUBSCRIPTIONS = 64;

/** What the relay needs of a client: who it is and what it follows (the set is the relay's to change). */
export interface RelayClient {
  readonly claims: { readonly sub: string };
  readonly prefixes: Set<string>;
}

export type FollowResult = 'subscribed' | 'covered' | 'too-many';

export class WsTopicRelay<C extends RelayClient> {
  private readonly subscriptions = new Map<string, { unsubscribe: () => void; clients: Set<C> }>();
  private relayedFrames = 0;

  constructor(
    private readonly bus: BusClient,
    private readonly registry: TopicRegistry,
    private readonly logger: Logger,
    private readonly deliver: (client: C, frame: string) => void,
  ) {}

  get relayed(): number {
    return this.relayedFrames;
  }

  /** Follows a prefix the caller has allowed. Prefixes of one client never overlap, so an event reaches it once. */
  follow(client: C, prefix: string): FollowResult {
    if ([...client.prefixes].some((held) => prefix.startsWith(held))) return 'covered';
    const narrower = [...client.prefixes].filter((held) => held.startsWith(prefix));
    if (client.prefixes.size - narrower.length >= MAX_SUBSCRIPTIONS) return 'too-many';
    for (const held of narrower) this.release(client, held);
    client.prefixes.add(prefix);
    let subscription = this.subscriptions.get(prefix);
    if (!subscription) {
      const clients = new Set<C>();
      subscription = { clients, unsubscribe: this.bus.subscribePrefix(prefix, (message) => this.relay(message, clients)) };
      this.subscriptions.set(prefix, subscription);
    }
    subscription.clients.add(client);
    return 'subscribed';
  }

  release(client: C, prefix: string): void {
    if (!client.prefixes.delete(prefix)) return;
    const subscription = this.subscriptions.get(prefix);
    if (!subscription) return;
    subscription.clients.delete(client);
    if (subscription.clients.size === 0) {
      subscription.unsubscribe();
      this.subscriptions.delete(prefix);
    }
  }

  releaseAll(client: C): void {
    for (const prefix of [...client.prefixes]) this.release(client, prefix);
  }

  close(): void {
    for (const subscription of this.subscriptions.values()) subscription.unsubscribe();
    this.subscriptions.clear();
  }

  private relay(message: IncomingMessage, clients: ReadonlySet<C>): void {
    const definition = this.registry.get(message.topic);
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
        timestamp: isoTimeOrNull(message.envelope.timestamp) ?? undefined,
        payload: toJson(definition.payload, message.payload),
      });
    } catch (error) {
      this.logger.warn({ err: error, topic: message.topic }, 'A bus event could not be converted to JSON for WebSocket clients');
      return;
    }
    // An event declared for one user goes only to that user's connections: one person's messages, replies, memory,
    // avatar speech, activity or consent changes are not another's to see. Such an event that names nobody (an empty
    // user id) reaches nobody: a publisher's slip must not broadcast one person's text.
    const owner = eventOwner(definition, message.payload);
    let sent = 0;
    for (const client of clients) {
      if (owner !== undefined && client.claims.sub !== owner) continue;
      this.deliver(client, frame);
      sent++;
    }
    this.relayedFrames += sent;
  }
}
