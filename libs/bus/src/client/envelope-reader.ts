// A hand-written decoder for the Envelope, the one message every receive pays for. It builds the same plain object
// `fromBinary(EnvelopeSchema, …)` builds (protobuf-es messages are plain objects), but reads strings straight from
// the frame and keeps the payload as a view of it, with no reflection (about 10% of a subscriber's CPU in
// tools/bench/bus went to the generic decoder). An envelope with fields this build does not know (a newer
// contract) or with an error goes to the generic decoder; malformed bytes throw, as the generic decoder does.
import { fromBinary } from '@bufbuild/protobuf';
import type { Any, Timestamp } from '@bufbuild/protobuf/wkt';
import { EnvelopeSchema, type Envelope } from '@aico/contracts';

class MalformedEnvelope extends Error {}
/** Thrown inside the reader to hand the frame to the generic decoder. */
class NeedsGenericDecoder extends Error {}

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

class Reader {
  offset = 0;
  constructor(
    readonly buffer: Buffer,
    readonly end: number = buffer.length,
  ) {}

  varint(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (this.offset >= this.end) throw new MalformedEnvelope('truncated varint');
      const byte = this.buffer[this.offset++]!;
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return result;
      multiplier *= 0x80;
    }
    throw new MalformedEnvelope('varint longer than 10 bytes');
  }

  /** The [start, end) of a length-delimited field body. */
  span(): [number, number] {
    const length = this.varint();
    const start = this.offset;
    if (start + length > this.end) throw new MalformedEnvelope('length-delimited field runs past the end');
    this.offset = start + length;
    return [start, start + length];
  }

  string(): string {
    const [start, end] = this.span();
    const text = this.buffer.toString('utf8', start, end);
    // Invalid UTF-8 decodes to U+FFFD here but is an error for protobuf-es (and poison for a database's TEXT):
    // let the generic decoder judge any string that shows a replacement character.
    if (text.includes('\uFFFD')) throw new NeedsGenericDecoder();
    return text;
  }
}

function readTimestamp(reader: Reader): Timestamp {
  const [start, end] = reader.span();
  const inner = new Reader(reader.buffer, end);
  inner.offset = start;
  let seconds = 0;
  let nanos = 0;
  while (inner.offset < end) {
    const tag = inner.varint();
    if (tag === ((1 << 3) | WIRE_VARINT)) seconds = inner.varint();
    else if (tag === ((2 << 3) | WIRE_VARINT)) nanos = inner.varint();
    else throw new NeedsGenericDecoder();
  }
  // Negative values (two's complement, ten-byte varints) and anything past what a double holds exactly.
  if (seconds > Number.MAX_SAFE_INTEGER || nanos > 0x7fffffff) throw new NeedsGenericDecoder();
  return { $typeName: 'google.protobuf.Timestamp', seconds: BigInt(seconds), nanos };
}

function readAny(reader: Reader): Any {
  const [start, end] = reader.span();
  const inner = new Reader(reader.buffer, end);
  inner.offset = start;
  let typeUrl = '';
  let value: Uint8Array = new Uint8Array(0);
  while (inner.offset < end) {
    const tag = inner.varint();
    if (tag === ((1 << 3) | WIRE_LEN)) typeUrl = inner.string();
    else if (tag === ((2 << 3) | WIRE_LEN)) {
      const [valueStart, valueEnd] = inner.span();
      value = inner.buffer.subarray(valueStart, valueEnd);
    } else throw new NeedsGenericDecoder();
  }
  return { $typeName: 'google.protobuf.Any', typeUrl, value };
}

function readMapEntry(reader: Reader, into: Record<string, string>): void {
  const [start, end] = reader.span();
  const inner = new Reader(reader.buffer, end);
  inner.offset = start;
  let key = '';
  let value = '';
  while (inner.offset < end) {
    const tag = inner.varint();
    if (tag === ((1 << 3) | WIRE_LEN)) key = inner.string();
    else if (tag === ((2 << 3) | WIRE_LEN)) value = inner.string();
    else throw new NeedsGenericDecoder();
  }
  into[key] = value;
}

function readFast(buffer: Buffer): Envelope {
  const reader = new Reader(buffer);
  const envelope: Envelope = {
    $typeName: 'aico.bus.v1.Envelope',
    id: '',
    topic: '',
    source: '',
    correlationId: '',
    replyTo: '',
    contractVersion: 0,
    attributes: {},
    idempotencyKey: '',
    instanceId: '',
  };
  while (reader.offset < reader.end) {
    const tag = reader.varint();
    switch (tag) {
      case (1 << 3) | WIRE_LEN:
        envelope.id = reader.string();
        break;
      case (2 << 3) | WIRE_LEN:
        envelope.topic = reader.string();
        break;
      case (3 << 3) | WIRE_LEN:
        envelope.source = reader.string();
        break;
      case (4 << 3) | WIRE_LEN:
        envelope.timestamp = readTimestamp(reader);
        break;
      case (5 << 3) | WIRE_LEN:
        envelope.correlationId = reader.string();
        break;
      case (6 << 3) | WIRE_LEN:
        envelope.replyTo = reader.string();
        break;
      case (7 << 3) | WIRE_VARINT:
        envelope.contractVersion = reader.varint() >>> 0;
        break;
      case (8 << 3) | WIRE_LEN:
        readMapEntry(reader, envelope.attributes);
        break;
      case (9 << 3) | WIRE_LEN:
        envelope.payload = readAny(reader);
        break;
      case (11 << 3) | WIRE_LEN:
        envelope.deadline = readTimestamp(reader);
        break;
      case (12 << 3) | WIRE_LEN:
        envelope.idempotencyKey = reader.string();
        break;
      case (13 << 3) | WIRE_LEN:
        envelope.instanceId = reader.string();
        break;
      default:
        // ErrorInfo (field 10), unknown fields and unexpected wire types: the generic decoder's job.
        throw new NeedsGenericDecoder();
    }
  }
  return envelope;
}

/** Decodes an Envelope frame; throws on bytes that are not one. */
export function readEnvelope(bytes: Uint8Array): Envelope {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return readFast(buffer);
  } catch (error) {
    if (error instanceof NeedsGenericDecoder) return fromBinary(EnvelopeSchema, bytes);
    throw error;
  }
}
