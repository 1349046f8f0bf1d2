// A hand-written protobuf encoder for the Envelope, the one message every publish pays for. protobuf-es would pack
// the payload into an Any and then serialise the envelope again through a growing buffer (about 7 allocations and
// 5-7 µs a publish, measured by tools/bench/bus); this writes the exact bytes into one buffer of the exact size,
// with the constant fields (source, instance id) encoded once. Its output is byte-for-byte what
// `toBinary(EnvelopeSchema, …)` produces (envelope-writer.spec.ts checks that); the rare error reply keeps the
// generic path.

/** Fields of an envelope as the writer takes them; strings empty and numbers 0 are omitted, as proto3 does. */
export interface EnvelopeFields {
  readonly id: string;
  readonly topic: string;
  readonly timestampMs: number;
  readonly correlationId: string;
  readonly replyTo: string;
  readonly contractVersion: number;
  readonly attributes: Readonly<Record<string, string>> | undefined;
  /** `type.googleapis.com/<full name>` and the serialised payload, or undefined for none. */
  readonly payloadTypeUrl: string | undefined;
  readonly payloadBytes: Uint8Array | undefined;
  readonly deadlineMs: number | undefined;
  readonly idempotencyKey: string;
}

// Field tags: (field number << 3) | wire type (0 varint, 2 length-delimited).
const TAG_ID = 0x0a;
const TAG_TOPIC = 0x12;
const TAG_SOURCE = 0x1a;
const TAG_TIMESTAMP = 0x22;
const TAG_CORRELATION_ID = 0x2a;
const TAG_REPLY_TO = 0x32;
const TAG_CONTRACT_VERSION = 0x38;
const TAG_ATTRIBUTES = 0x42;
const TAG_PAYLOAD = 0x4a;
const TAG_DEADLINE = 0x5a;
const TAG_IDEMPOTENCY_KEY = 0x62;
const TAG_INSTANCE_ID = 0x6a;
// Inside Timestamp, Any and map entries: field 1 and field 2.
const TAG_FIELD1_VARINT = 0x08;
const TAG_FIELD2_VARINT = 0x10;
const TAG_FIELD1_BYTES = 0x0a;
const TAG_FIELD2_BYTES = 0x12;

/** Bytes of a varint holding a non-negative integer (up to 2^53). */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

/** Size of a length-delimited field (tag + length + body). */
function fieldSize(bodyLength: number): number {
  return 1 + varintSize(bodyLength) + bodyLength;
}

function stringFieldSize(value: string): number {
  return value === '' ? 0 : fieldSize(Buffer.byteLength(value, 'utf8'));
}

/** Map entries carry key and value even when empty (protobuf-es writes both). */
function entryFieldSize(value: string): number {
  return fieldSize(Buffer.byteLength(value, 'utf8'));
}

/** A Timestamp body: seconds (int64) and nanos (int32), both positive here. */
function timestampBodySize(ms: number): number {
  const seconds = Math.floor(ms / 1000);
  const nanos = (ms - seconds * 1000) * 1_000_000;
  return (seconds === 0 ? 0 : 1 + varintSize(seconds)) + (nanos === 0 ? 0 : 1 + varintSize(nanos));
}

class Cursor {
  offset = 0;
  constructor(readonly buffer: Buffer) {}

  byte(value: number): void {
    this.buffer[this.offset++] = value;
  }

  varint(value: number): void {
    while (value >= 0x80) {
      this.buffer[this.offset++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.buffer[this.offset++] = value;
  }

  string(tag: number, value: string, always = false): void {
    if (value === '' && !always) return;
    this.byte(tag);
    this.varint(Buffer.byteLength(value, 'utf8'));
    this.offset += this.buffer.write(value, this.offset, 'utf8');
  }

  bytes(tag: number, value: Uint8Array): void {
    this.byte(tag);
    this.varint(value.length);
    this.buffer.set(value, this.offset);
    this.offset += value.length;
  }

  timestamp(tag: number, ms: number): void {
    const seconds = Math.floor(ms / 1000);
    const nanos = (ms - seconds * 1000) * 1_000_000;
    this.byte(tag);
    this.varint(timestampBodySize(ms));
    if (seconds !== 0) {
      this.byte(TAG_FIELD1_VARINT);
      this.varint(seconds);
    }
    if (nanos !== 0) {
      this.byte(TAG_FIELD2_VARINT);
      this.varint(nanos);
    }
  }
}

/** The encoded `source` and `instance_id` fields of one client: they never change. */
export class EnvelopeWriter {
  private readonly constantFields: { source: Buffer; instanceId: Buffer };

  constructor(source: string, instanceId: string) {
    const encode = (tag: number, value: string): Buffer => {
      const buffer = Buffer.alloc(stringFieldSize(value));
      new Cursor(buffer).string(tag, value);
      return buffer;
    };
    this.constantFields = { source: encode(TAG_SOURCE, source), instanceId: encode(TAG_INSTANCE_ID, instanceId) };
  }

  write(fields: EnvelopeFields): Buffer {
    const { source, instanceId } = this.constantFields;
    const attributes = fields.attributes ? Object.entries(fields.attributes) : [];
    const entrySizes = attributes.map(([key, value]) => entryFieldSize(key) + entryFieldSize(value));
    const anyBodySize = fields.payloadBytes
      ? stringFieldSize(fields.payloadTypeUrl ?? '') + (fields.payloadBytes.length === 0 ? 0 : fieldSize(fields.payloadBytes.length))
      : 0;

    let size =
      stringFieldSize(fields.id) +
      stringFieldSize(fields.topic) +
      source.length +
      fieldSize(timestampBodySize(fields.timestampMs)) +
      stringFieldSize(fields.correlationId) +
      stringFieldSize(fields.replyTo) +
      (fields.contractVersion === 0 ? 0 : 1 + varintSize(fields.contractVersion)) +
      stringFieldSize(fields.idempotencyKey) +
      instanceId.length;
    for (const entrySize of entrySizes) size += fieldSize(entrySize);
    if (fields.payloadBytes) size += fieldSize(anyBodySize);
    if (fields.deadlineMs !== undefined) size += fieldSize(timestampBodySize(fields.deadlineMs));

    const cursor = new Cursor(Buffer.allocUnsafe(size));
    cursor.string(TAG_ID, fields.id);
    cursor.string(TAG_TOPIC, fields.topic);
    cursor.buffer.set(source, cursor.offset);
    cursor.offset += source.length;
    cursor.timestamp(TAG_TIMESTAMP, fields.timestampMs);
    cursor.string(TAG_CORRELATION_ID, fields.correlationId);
    cursor.string(TAG_REPLY_TO, fields.replyTo);
    if (fields.contractVersion !== 0) {
      cursor.byte(TAG_CONTRACT_VERSION);
      cursor.varint(fields.contractVersion);
    }
    attributes.forEach(([key, value], i) => {
      cursor.byte(TAG_ATTRIBUTES);
      cursor.varint(entrySizes[i]!);
      cursor.string(TAG_FIELD1_BYTES, key, true);
      cursor.string(TAG_FIELD2_BYTES, value, true);
    });
    if (fields.payloadBytes) {
      cursor.byte(TAG_PAYLOAD);
      cursor.varint(anyBodySize);
      cursor.string(TAG_FIELD1_BYTES, fields.payloadTypeUrl ?? '');
      if (fields.payloadBytes.length > 0) cursor.bytes(TAG_FIELD2_BYTES, fields.payloadBytes);
    }
    if (fields.deadlineMs !== undefined) cursor.timestamp(TAG_DEADLINE, fields.deadlineMs);
    cursor.string(TAG_IDEMPOTENCY_KEY, fields.idempotencyKey);
    cursor.buffer.set(instanceId, cursor.offset);
    cursor.offset += instanceId.length;
    if (cursor.offset !== size) throw new Error(`Envelope writer size mismatch: wrote ${cursor.offset} of ${size} bytes`);
    return cursor.buffer;
  }
}
