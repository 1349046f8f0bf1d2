// What the client does with a received `[topic, envelope]` message: drop it (with a reason), settle a reply, or
// deliver it. Nothing about a message is trusted: frame count, size, encoding, topic agreement, registration,
// payload type and the claimed source are each checked before any handler sees it.
import { anyIs } from '@bufbuild/protobuf/wkt';
import { isReplyTopic, mayPublish, type Envelope, type TopicDefinition, type TopicRegistry } from '@aico/contracts';
import type { DropReason } from './drop-counter';
import { IncomingMessage, type EnvelopeCodec } from './envelope-codec';

export type InboundVerdict =
  | { readonly kind: 'drop'; readonly reason: DropReason; readonly fields: Record<string, unknown>; readonly why: string }
  | { readonly kind: 'reply'; readonly envelope: Envelope }
  | { readonly kind: 'deliver'; readonly definition: TopicDefinition; readonly message: IncomingMessage };

export interface InboundRules {
  readonly registry: TopicRegistry;
  readonly codec: EnvelopeCodec;
  readonly maxEnvelopeBytes: number;
  /** False while the client stops: only replies are still accepted. */
  readonly intakeOpen: boolean;
}

/** Topic names are short (`<domain>.<subject>.<event>`); a huge topic frame is an attack or a bug, not a topic. */
const MAX_TOPIC_BYTES = 256;

const drop = (reason: DropReason, fields: Record<string, unknown>, why: string): InboundVerdict => ({ kind: 'drop', reason, fields, why });

export function judgeInbound(frames: readonly Buffer[], rules: InboundRules): InboundVerdict {
  if (frames.length !== 2) return drop('frame_count', { frames: frames.length }, `expected 2 frames [topic, envelope], got ${frames.length}`);
  const [topicFrame, body] = frames as [Buffer, Buffer];
  if (topicFrame.length > MAX_TOPIC_BYTES) {
    return drop(
      'oversize',
      { topicBytes: topicFrame.length, limit: MAX_TOPIC_BYTES },
      `a ${topicFrame.length}-byte topic frame exceeds the ${MAX_TOPIC_BYTES}-byte limit`,
    );
  }
  const topic = topicFrame.toString('utf8');
  if (body.length > rules.maxEnvelopeBytes) {
    return drop(
      'oversize',
      { topic, bytes: body.length, limit: rules.maxEnvelopeBytes },
      `${body.length} bytes exceeds the ${rules.maxEnvelopeBytes}-byte limit`,
    );
  }
  let envelope: Envelope;
  try {
    envelope = rules.codec.decode(body);
  } catch (error) {
    return drop('malformed', { topic, bytes: body.length, error: (error as Error).message }, 'the envelope frame is not a valid protobuf Envelope');
  }
  const source = envelope.source;
  if (envelope.topic !== topic)
    return drop('topic_mismatch', { topic, envelopeTopic: envelope.topic, source }, 'the topic frame and the envelope topic differ');
  if (isReplyTopic(topic)) return { kind: 'reply', envelope };
  if (!rules.intakeOpen) return drop('intake_stopped', { topic }, 'the client is stopping');
  const definition = rules.registry.get(topic);
  if (!definition) return drop('unknown_topic', { topic, source }, `topic "${topic}" is not in the registry`);
  if (envelope.payload && !anyIs(envelope.payload, definition.payload)) {
    return drop(
      'wrong_payload_type',
      { topic, source, expected: definition.payload.typeName, typeUrl: envelope.payload.typeUrl },
      `payload is not ${definition.payload.typeName}`,
    );
  }
  if (!mayPublish(definition.publishers, source)) return drop('unauthorized_source', { topic, source }, `"${source}" may not publish on ${topic}`);
  return { kind: 'deliver', definition, message: new IncomingMessage(envelope, definition.payload) };
}
