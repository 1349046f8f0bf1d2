// What a client checks before anything it sends leaves: the topic is registered (with the payload type the caller
// compiled against), the payload is a message of that type, and this identity may publish it.
import { create, type DescMessage, type Message, type MessageInitShape } from '@bufbuild/protobuf';
import { mayPublish, type TopicDefinition, type TopicRegistry } from '@aico/contracts';
import { AccessPolicy } from '@aico/policy';
import { BusError, BusErrorCode } from '../bus.error';
import { MAX_TIMER_MS } from './stream-protocol';

export class TopicGuard {
  private readonly policy: AccessPolicy;

  constructor(
    private readonly identity: string,
    private readonly registry: TopicRegistry,
    policy?: AccessPolicy,
  ) {
    this.policy = policy ?? new AccessPolicy(registry);
  }

  /** The registered definition of a topic; throws UNKNOWN_TOPIC, or WRONG_PAYLOAD_TYPE for a stale definition. */
  resolve(target: string | TopicDefinition): TopicDefinition {
    const topic = typeof target === 'string' ? target : target.topic;
    const definition = this.registry.get(topic);
    if (!definition) {
      throw new BusError(
        BusErrorCode.UnknownTopic,
        `Topic "${topic}" is not in the topic registry; add it to the contracts before publishing or subscribing.`,
        { topic },
      );
    }
    if (typeof target !== 'string' && target.payload.typeName !== definition.payload.typeName) {
      throw new BusError(BusErrorCode.WrongPayloadType, `Topic "${topic}" is registered with ${definition.payload.typeName}, not ${target.payload.typeName}.`, {
        topic,
      });
    }
    return definition;
  }

  /** The payload as a message of `schema` (what `topic` carries): made from an init shape, or checked when already one. */
  toMessage(schema: DescMessage, topic: string, payload: Message | MessageInitShape<DescMessage>): Message {
    const typeName = (payload as { $typeName?: unknown }).$typeName;
    if (typeName === undefined) return create(schema, payload as MessageInitShape<DescMessage>);
    if (typeName !== schema.typeName) {
      throw new BusError(BusErrorCode.WrongPayloadType, `Topic "${topic}" carries ${schema.typeName}, but the payload is ${String(typeName)}.`, { topic });
    }
    return payload as Message;
  }

  assertMayPublish(publishers: TopicDefinition['publishers'], topic: string): void {
    // The access policy decides; the registry check in front of it keeps the allowed (hot) path allocation-free.
    if (mayPublish(publishers, this.identity)) return;
    const decision = this.policy.canPublish({ kind: 'service', identity: this.identity }, topic);
    if (!decision.allowed) throw new BusError(BusErrorCode.NotPermitted, `Refused by the access policy: ${decision.reason}.`, { topic });
  }
}

/** A timeout a caller chose, checked to be one setTimeout can keep (at most 2^31 - 1 ms, about 24.8 days). */
export function checkedTimeout(what: string, ms: number, min: number): number {
  if (!Number.isInteger(ms) || ms < min || ms > MAX_TIMER_MS) {
    throw new BusError(BusErrorCode.InvalidRequest, `${what} must be a whole number of milliseconds from ${min} to ${MAX_TIMER_MS}, got ${ms}.`);
  }
  return ms;
}

export function notAStreamTopic(topic: string): BusError {
  return new BusError(
    BusErrorCode.NotAStreamTopic,
    `${topic} is not a streamed request topic (its definition declares no \`stream\` type); use request() and handle().`,
    { topic },
  );
}
