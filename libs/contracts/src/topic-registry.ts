// The typed topic registry: every topic maps to its payload schema and to the identities that may publish it.
// The bus client consults it on publish (refuse) and on receive (drop), so a topic is a contract, not a string.
import type { DescMessage } from '@bufbuild/protobuf';
import type { ServiceIdentity } from './identities';

/** `<domain>.<subject>.<event>`: lowercase words, dot separated, at least three segments. */
export const TOPIC_PATTERN = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2,}$/;
/** Replies travel on `reply.<instance-id>`; their payload type is fixed by the request's definition. */
export const REPLY_TOPIC_PREFIX = 'reply.';

export type Publishers = readonly ServiceIdentity[] | 'any';

interface TopicDefinitionBase<P extends DescMessage> {
  readonly topic: string;
  readonly payload: P;
  /** Who may publish on this topic (for a request: who may ask). */
  readonly publishers: Publishers;
  /** Major version of the contract; bumped on a breaking change of meaning. */
  readonly contractVersion: number;
  readonly description: string;
}

export interface EventDefinition<P extends DescMessage = DescMessage> extends TopicDefinitionBase<P> {
  readonly kind: 'event';
}

export interface RequestDefinition<P extends DescMessage = DescMessage, R extends DescMessage = DescMessage>
  extends TopicDefinitionBase<P> {
  readonly kind: 'request';
  /** The final reply (the only reply of a unary request). */
  readonly response: R;
  /** Who may answer. */
  readonly responders: Publishers;
  /**
   * Set for a streamed request: the type of the deltas the responder sends, in order and to the requester only,
   * before its final `response`.
   */
  readonly stream?: DescMessage | undefined;
}

/** A request answered by a stream of sequence-numbered `D` deltas, then a final `R`. */
export interface StreamRequestDefinition<P extends DescMessage = DescMessage, R extends DescMessage = DescMessage, D extends DescMessage = DescMessage>
  extends RequestDefinition<P, R> {
  readonly stream: D;
}

export type TopicDefinition = EventDefinition | RequestDefinition;

export function defineEvent<P extends DescMessage>(def: Omit<EventDefinition<P>, 'kind'>): EventDefinition<P> {
  return Object.freeze({ ...def, kind: 'event' as const });
}

export function defineRequest<P extends DescMessage, R extends DescMessage, D extends DescMessage>(
  def: Omit<StreamRequestDefinition<P, R, D>, 'kind'>,
): StreamRequestDefinition<P, R, D>;
export function defineRequest<P extends DescMessage, R extends DescMessage>(def: Omit<RequestDefinition<P, R>, 'kind' | 'stream'>): RequestDefinition<P, R>;
export function defineRequest<P extends DescMessage, R extends DescMessage>(def: Omit<RequestDefinition<P, R>, 'kind'>): RequestDefinition<P, R> {
  return Object.freeze({ ...def, kind: 'request' as const });
}

/** Whether a topic is a streamed request (deltas, then a final reply). */
export function isStreamRequest(definition: TopicDefinition | undefined): definition is StreamRequestDefinition {
  return definition?.kind === 'request' && definition.stream !== undefined;
}

export function isReplyTopic(topic: string): boolean {
  return topic.startsWith(REPLY_TOPIC_PREFIX) && topic.length > REPLY_TOPIC_PREFIX.length;
}

export function mayPublish(publishers: Publishers, identity: string): boolean {
  return publishers === 'any' || (publishers as readonly string[]).includes(identity);
}

export class TopicRegistryError extends Error {
  override readonly name = 'TopicRegistryError';
}

/** An immutable set of topic definitions. Build one with the default topics plus any a test or app adds. */
export class TopicRegistry {
  private readonly byTopic: ReadonlyMap<string, TopicDefinition>;

  constructor(definitions: readonly TopicDefinition[]) {
    const map = new Map<string, TopicDefinition>();
    for (const def of definitions) {
      if (!TOPIC_PATTERN.test(def.topic)) {
        throw new TopicRegistryError(
          `Topic "${def.topic}" is not a valid name: use lowercase <domain>.<subject>.<event>, e.g. "system.health.heartbeat".`,
        );
      }
      if (map.has(def.topic)) {
        throw new TopicRegistryError(`Topic "${def.topic}" is defined twice.`);
      }
      map.set(def.topic, def);
    }
    this.byTopic = map;
  }

  get(topic: string): TopicDefinition | undefined {
    return this.byTopic.get(topic);
  }

  has(topic: string): boolean {
    return this.byTopic.has(topic);
  }

  topics(): TopicDefinition[] {
    return [...this.byTopic.values()];
  }

  /** A new registry with these definitions added (e.g. an app's own topics). */
  with(definitions: readonly TopicDefinition[]): TopicRegistry {
    return new TopicRegistry([...this.byTopic.values(), ...definitions]);
  }
}
