// The typed topic registry: every topic maps to its payload schema and to the identities that may publish it.
// The bus client consults it on publish (refuse) and on receive (drop), so a topic is a contract, not a string.
// An event also says who may see it when it is relayed to front ends (its audience): everyone following it, or only
// the user one of its payload's fields names.
import { ScalarType, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
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

/**
 * Who may see an event relayed to front ends (the gateway's WebSocket bridge): every client following its topic, or
 * only the connections of the user whose id the named payload field holds (an empty id: nobody). An event without
 * a declaration is for everyone; the registry refuses one whose payload has a `userId` field, so a personal event
 * cannot be broadcast by forgetting to say so.
 */
export type EventAudience = 'everyone' | { readonly user: string };

/** The string fields of a payload: the ones that can hold a user id. */
export type StringFieldOf<P extends DescMessage> = { [K in keyof MessageShape<P>]: MessageShape<P>[K] extends string ? K : never }[keyof MessageShape<P>] &
  string;

/** A field whose presence makes an event look personal: such an event must declare its audience. */
export const PERSONAL_FIELD = 'userId';

export interface EventDefinition<P extends DescMessage = DescMessage> extends TopicDefinitionBase<P> {
  readonly kind: 'event';
  readonly audience?: EventAudience | undefined;
}

export interface RequestDefinition<P extends DescMessage = DescMessage, R extends DescMessage = DescMessage> extends TopicDefinitionBase<P> {
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
export interface StreamRequestDefinition<
  P extends DescMessage = DescMessage,
  R extends DescMessage = DescMessage,
  D extends DescMessage = DescMessage,
> extends RequestDefinition<P, R> {
  readonly stream: D;
}

export type TopicDefinition = EventDefinition | RequestDefinition;

/** An event; its audience's field, when it names one, is checked against the payload type. */
export function defineEvent<P extends DescMessage>(
  def: Omit<EventDefinition<P>, 'kind' | 'audience'> & { readonly audience?: 'everyone' | { readonly user: StringFieldOf<P> } },
): EventDefinition<P> {
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

/**
 * Whom an event is for: undefined when everyone may see it, else the user id its audience field holds ('' when the
 * publisher named nobody, which reaches nobody).
 */
export function eventOwner(definition: EventDefinition, payload: object): string | undefined {
  const audience = definition.audience ?? 'everyone';
  if (audience === 'everyone') return undefined;
  const owner = (payload as Record<string, unknown>)[audience.user];
  return typeof owner === 'string' ? owner : '';
}

/** Why an event's audience cannot stand, or undefined. */
function audienceProblem(def: EventDefinition): string | undefined {
  const fields = def.payload.fields;
  if (def.audience === undefined) {
    return fields.some((field) => field.localName === PERSONAL_FIELD)
      ? `Event "${def.topic}" carries a ${PERSONAL_FIELD} but declares no audience: say audience: { user: '${PERSONAL_FIELD}' } (only that user sees it) or 'everyone'.`
      : undefined;
  }
  if (def.audience === 'everyone') return undefined;
  const { user } = def.audience;
  const field = fields.find((candidate) => candidate.localName === user);
  return field?.fieldKind === 'scalar' && field.scalar === ScalarType.STRING
    ? undefined
    : `Event "${def.topic}" declares its audience by "${user}", which is not a string field of ${def.payload.typeName}.`;
}

/** An immutable set of topic definitions. Build one with the default topics plus any a test or app adds. */
export class TopicRegistry {
  private readonly byTopic: ReadonlyMap<string, TopicDefinition>;

  constructor(definitions: readonly TopicDefinition[]) {
    const map = new Map<string, TopicDefinition>();
    for (const def of definitions) {
      if (!TOPIC_PATTERN.test(def.topic)) {
        throw new TopicRegistryError(`Topic "${def.topic}" is not a valid name: use lowercase <domain>.<subject>.<event>, e.g. "system.health.heartbeat".`);
      }
      if (map.has(def.topic)) {
        throw new TopicRegistryError(`Topic "${def.topic}" is defined twice.`);
      }
      const problem = def.kind === 'event' ? audienceProblem(def) : undefined;
      if (problem) throw new TopicRegistryError(problem);
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
