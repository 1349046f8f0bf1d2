// Encoding and decoding of the two-frame wire format `[topic, Envelope]`. The payload stays packed in its Any until
// a handler reads it, so routing and dropping never pay for decoding a payload.
import { create, toBinary, type DescMessage, type Message, type MessageShape } from '@bufbuild/protobuf';
import { anyPack, anyUnpack, timestampFromMs, timestampMs, type Timestamp } from '@bufbuild/protobuf/wkt';
import { EnvelopeSchema, type Envelope, type ErrorInfo } from '@aico/contracts';
import { readEnvelope } from './envelope-reader';
import { EnvelopeWriter } from './envelope-writer';
import { PayloadWriter } from './payload-writer';
import { uuidv7 } from './uuid-v7';

export interface OutgoingEnvelope {
  readonly topic: string;
  readonly schema?: DescMessage | undefined;
  readonly payload?: Message | undefined;
  readonly contractVersion?: number;
  readonly correlationId?: string | undefined;
  readonly replyTo?: string | undefined;
  readonly attributes?: Readonly<Record<string, string>> | undefined;
  readonly error?: Pick<ErrorInfo, 'code' | 'message' | 'details'> | undefined;
  readonly deadlineMs?: number | undefined;
  readonly idempotencyKey?: string | undefined;
}

const TYPE_URL_PREFIX = 'type.googleapis.com/';
const MAX_CACHED_TOPICS = 1_024;

export class EnvelopeCodec {
  private readonly writer: EnvelopeWriter;
  private readonly payloads = new PayloadWriter();
  private readonly topicFrames = new Map<string, Buffer>();

  constructor(
    readonly source: string,
    readonly instanceId: string,
  ) {
    this.writer = new EnvelopeWriter(source, instanceId);
  }

  /** The two frames `[topic, envelope]` of an outgoing message. */
  encode(out: OutgoingEnvelope): [Buffer, Buffer] {
    const body = out.error ? this.encodeGeneric(out) : this.encodeFast(out);
    return [this.topicFrame(out.topic), body];
  }

  private encodeFast(out: OutgoingEnvelope): Buffer {
    const now = Date.now();
    const withPayload = out.payload !== undefined && out.schema !== undefined;
    return this.writer.write({
      id: uuidv7(now),
      topic: out.topic,
      timestampMs: now,
      correlationId: out.correlationId ?? '',
      replyTo: out.replyTo ?? '',
      contractVersion: out.contractVersion ?? 1,
      attributes: out.attributes,
      payloadTypeUrl: withPayload ? TYPE_URL_PREFIX + out.schema.typeName : undefined,
      // A view of the payload writer's scratch space: the envelope writer copies it before anything else encodes.
      payloadBytes: withPayload ? this.payloads.encode(out.schema, out.payload) : undefined,
      deadlineMs: out.deadlineMs,
      idempotencyKey: out.idempotencyKey ?? '',
    });
  }

  /** Error replies are rare: the generic protobuf-es path keeps ErrorInfo's encoding in one place. */
  private encodeGeneric(out: OutgoingEnvelope): Buffer {
    const now = Date.now();
    const envelope = create(EnvelopeSchema, {
      id: uuidv7(now),
      topic: out.topic,
      source: this.source,
      instanceId: this.instanceId,
      timestamp: timestampFromMs(now),
      correlationId: out.correlationId ?? '',
      replyTo: out.replyTo ?? '',
      contractVersion: out.contractVersion ?? 1,
      attributes: out.attributes ? { ...out.attributes } : {},
      idempotencyKey: out.idempotencyKey ?? '',
    });
    if (out.payload && out.schema) envelope.payload = anyPack(out.schema, out.payload);
    if (out.error) envelope.error = { $typeName: 'aico.bus.v1.ErrorInfo', code: out.error.code, message: out.error.message, details: { ...out.error.details } };
    if (out.deadlineMs !== undefined) envelope.deadline = timestampFromMs(out.deadlineMs);
    const bytes = toBinary(EnvelopeSchema, envelope);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private topicFrame(topic: string): Buffer {
    let frame = this.topicFrames.get(topic);
    if (!frame) {
      if (this.topicFrames.size >= MAX_CACHED_TOPICS) this.topicFrames.clear();
      frame = Buffer.from(topic, 'utf8');
      this.topicFrames.set(topic, frame);
    }
    return frame;
  }

  /** Throws on bytes that are not an Envelope. */
  decode(bytes: Uint8Array): Envelope {
    return readEnvelope(bytes);
  }
}

export function timestampToMs(timestamp: Timestamp | undefined): number | undefined {
  return timestamp ? timestampMs(timestamp) : undefined;
}

/** A received envelope. `payload` is unpacked on first access and cached. */
export class IncomingMessage<T extends Message = Message> {
  private unpacked: T | undefined;

  constructor(
    readonly envelope: Envelope,
    /** Schema the registry expects for this topic's payload. */
    readonly schema: DescMessage | undefined,
  ) {}

  get topic(): string {
    return this.envelope.topic;
  }
  get source(): string {
    return this.envelope.source;
  }
  get correlationId(): string {
    return this.envelope.correlationId;
  }
  get replyTo(): string {
    return this.envelope.replyTo;
  }
  get deadlineMs(): number | undefined {
    return timestampToMs(this.envelope.deadline);
  }
  get payload(): T {
    if (this.unpacked === undefined) {
      const any = this.envelope.payload;
      const value = any && this.schema ? anyUnpack(any, this.schema) : undefined;
      // The bus client checked the type URL before dispatch; an absent payload decodes as the empty message.
      this.unpacked = (value ?? (this.schema ? create(this.schema) : undefined)) as T;
    }
    return this.unpacked;
  }
}

export type IncomingOf<S extends DescMessage> = IncomingMessage<MessageShape<S>>;
