// The payload encoder of every publish. protobuf-es's toBinary grows a fresh Uint8Array from 128 bytes and slices
// the result: three ArrayBuffers for a 200-byte payload, about 9 µs of the ~14 µs a publish and its delivery cost in
// JavaScript (node 20, tools/bench/bus). This encoder is compiled once per message type, as protobuf-es compiles its
// own (to-binary.js), and writes into a scratch buffer that is kept, so the envelope writer copies the bytes once.
// Its output is byte-for-byte toBinary's (payload-writer.spec.ts checks every payload type of the registry). What
// it does not take — a value toBinary would coerce or refuse, unknown fields, and the types protobuf-es represents
// in a form of their own (wrapper fields, Struct as JSON, groups, proto2 required) — goes to toBinary as before.
import { create, ScalarType, toBinary, type DescField, type DescMessage, type Message } from '@bufbuild/protobuf';
import { ScratchWriter } from './scratch-writer';

type Fields = Record<string, unknown>;
type MessageWriter = (writer: ScratchWriter, message: Fields) => void;
type FieldWriter = MessageWriter;
type ValueWriter = (writer: ScratchWriter, value: unknown) => void;

// google.protobuf.FeatureSet.FieldPresence.
const IMPLICIT = 2;
const LEGACY_REQUIRED = 3;
// Wire types.
const VARINT = 0;
const BIT64 = 1;
const LENGTH_DELIMITED = 2;
const BIT32 = 5;

const WRAPPER_TYPES = new Set(
  ['Double', 'Float', 'Int64', 'UInt64', 'Int32', 'UInt32', 'Bool', 'String', 'Bytes'].map((name) => `google.protobuf.${name}Value`),
);

/** Compiled writers by message type; null for a type that only toBinary encodes. */
const compiled = new WeakMap<DescMessage, MessageWriter | null>();

export class PayloadWriter {
  private readonly scratch = new ScratchWriter();

  /** The payload's bytes: a view of this writer's scratch space, valid until its next encode(). */
  encode(schema: DescMessage, message: Message): Uint8Array {
    const write = writerFor(schema);
    if (write) {
      this.scratch.reset();
      try {
        write(this.scratch, message);
        return this.scratch.written();
      } catch {
        // Not a canonical value: toBinary coerces it or refuses it with its own message, as it always has.
      }
    }
    return toBinary(schema, message);
  }
}

function writerFor(desc: DescMessage): MessageWriter | undefined {
  const known = compiled.get(desc);
  if (known !== undefined) return known ?? undefined;
  if (!compilable(desc, new Set())) {
    compiled.set(desc, null);
    return undefined;
  }
  return compileMessage(desc);
}

/** Whether every field of the type (and of the types it contains) has the plain representation this writer takes. */
function compilable(desc: DescMessage, seen: Set<DescMessage>): boolean {
  if (seen.has(desc)) return true;
  seen.add(desc);
  return desc.fields.every((field) => {
    if (field.presence === LEGACY_REQUIRED) return false;
    const child = field.message;
    if (!child) return true;
    if (field.delimitedEncoding) return false;
    if (child.typeName === 'google.protobuf.Struct' && desc.typeName !== 'google.protobuf.Value') return false;
    if (field.fieldKind === 'message' && !field.oneof && WRAPPER_TYPES.has(child.typeName)) return false;
    return compilable(child, seen);
  });
}

function compileMessage(desc: DescMessage): MessageWriter {
  const typeName = desc.typeName;
  const fieldWriters: FieldWriter[] = [];
  const write: MessageWriter = (writer, message) => {
    const unknown = message['$unknown'] as unknown[] | undefined;
    if (message['$typeName'] !== typeName || (unknown !== undefined && unknown.length > 0)) throw new Error('for toBinary');
    for (const writeField of fieldWriters) writeField(writer, message);
  };
  // Registered before its fields are compiled, so a recursive type finds itself.
  compiled.set(desc, write);
  for (const field of [...desc.fields].sort((a, b) => a.number - b.number)) fieldWriters.push(compileField(field));
  return write;
}

function compileField(field: DescField): FieldWriter {
  switch (field.fieldKind) {
    case 'scalar':
    case 'enum':
    case 'message':
      return withPresence(field, singularValue(field));
    case 'list':
      return listField(field);
    case 'map':
      return mapField(field);
  }
}

/** Writes the field when it is set: its oneof case, explicit presence, or (implicit) a value other than zero. */
function withPresence(field: DescField & { fieldKind: 'scalar' | 'enum' | 'message' }, writeValue: ValueWriter): FieldWriter {
  const name = field.localName;
  if (field.oneof) {
    const oneofName = field.oneof.localName;
    return (writer, message) => {
      const oneof = message[oneofName] as { case: unknown; value: unknown };
      if (oneof.case === name) writeValue(writer, oneof.value);
    };
  }
  if (field.fieldKind === 'message' || field.presence !== IMPLICIT) {
    return (writer, message) => {
      const value = message[name];
      if (value !== undefined && Object.prototype.hasOwnProperty.call(message, name)) writeValue(writer, value);
    };
  }
  const isZero = zeroTest(field);
  return (writer, message) => {
    const value = message[name];
    if (!isZero(value)) writeValue(writer, value);
  };
}

/** protobuf-es's implicit-presence zero checks, type by type. */
function zeroTest(field: DescField & { fieldKind: 'scalar' | 'enum' }): (value: unknown) => boolean {
  if (field.fieldKind === 'enum') {
    const zero = field.enum.values[0]?.number;
    return (value) => value === zero;
  }
  switch (field.scalar) {
    case ScalarType.BOOL:
      return (value) => value === false;
    case ScalarType.STRING:
      return (value) => value === '';
    case ScalarType.BYTES:
      return (value) => value instanceof Uint8Array && value.byteLength === 0;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return (value) => Object.is(value, 0);
    default:
      // Loose comparison, as protobuf-es: 0, 0n and "0" (and "00") are all zero.
      return (value) => value == 0;
  }
}

function singularValue(field: DescField & { fieldKind: 'scalar' | 'enum' | 'message' }): ValueWriter {
  const fieldNo = field.number;
  if (field.fieldKind === 'message') return childMessage(fieldNo, field.message);
  const type = field.fieldKind === 'enum' ? ScalarType.INT32 : field.scalar;
  const wireType = wireTypeOf(type);
  const writeScalar = SCALAR_WRITERS[type];
  return (writer, value) => {
    writer.tag(fieldNo, wireType);
    writeScalar(writer, value);
  };
}

/** A nested message, length-delimited. An absent one is written empty, as protobuf-es's localMessageMapper does. */
function childMessage(fieldNo: number, desc: DescMessage): ValueWriter {
  let writeChild: MessageWriter | undefined;
  return (writer, value) => {
    writeChild ??= writerFor(desc);
    if (!writeChild) throw new Error('for toBinary');
    writer.tag(fieldNo, LENGTH_DELIMITED);
    writer.fork();
    writeChild(writer, (value ?? create(desc)) as unknown as Fields);
    writer.join();
  };
}

function listField(field: DescField & { fieldKind: 'list' }): FieldWriter {
  const name = field.localName;
  const fieldNo = field.number;
  if (field.listKind === 'message') {
    const writeItem = childMessage(fieldNo, field.message);
    return (writer, message) => {
      for (const item of message[name] as unknown[]) writeItem(writer, item);
    };
  }
  const type = field.listKind === 'enum' ? ScalarType.INT32 : field.scalar;
  const writeScalar = SCALAR_WRITERS[type];
  if (field.packed) {
    return (writer, message) => {
      const items = message[name] as unknown[];
      if (items.length === 0) return;
      writer.tag(fieldNo, LENGTH_DELIMITED);
      writer.fork();
      for (const item of items) writeScalar(writer, item);
      writer.join();
    };
  }
  const wireType = wireTypeOf(type);
  return (writer, message) => {
    for (const item of message[name] as unknown[]) {
      writer.tag(fieldNo, wireType);
      writeScalar(writer, item);
    }
  };
}

/** Each entry is a nested message: key as field 1, value as field 2 (always written, even when zero). */
function mapField(field: DescField & { fieldKind: 'map' }): FieldWriter {
  const name = field.localName;
  const fieldNo = field.number;
  const keyWireType = wireTypeOf(field.mapKey);
  const writeKey = SCALAR_WRITERS[field.mapKey];
  const keyOf = mapKeyConverter(field.mapKey);
  let writeValue: ValueWriter;
  if (field.mapKind === 'message') writeValue = childMessage(2, field.message);
  else {
    const type = field.mapKind === 'enum' ? ScalarType.INT32 : field.scalar;
    const valueWireType = wireTypeOf(type);
    const writeScalar = SCALAR_WRITERS[type];
    writeValue = (writer, value) => {
      writer.tag(2, valueWireType);
      writeScalar(writer, value);
    };
  }
  return (writer, message) => {
    const record = message[name] as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      writer.tag(fieldNo, LENGTH_DELIMITED);
      writer.fork();
      writer.tag(1, keyWireType);
      writeKey(writer, keyOf(key));
      writeValue(writer, record[key]);
      writer.join();
    }
  };
}

/** Map keys are object keys (strings): back to their scalar type, as protobuf-es converts them. */
function mapKeyConverter(type: ScalarType): (key: string) => unknown {
  switch (type) {
    case ScalarType.STRING:
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
    case ScalarType.SINT64:
      // A decimal string is what protoInt64 parses; one it refuses sends the message to toBinary.
      return (key) => key;
    case ScalarType.BOOL:
      return (key) => (key === 'true' ? true : key === 'false' ? false : key);
    default: {
      return (key) => {
        const n = Number.parseInt(key);
        return Number.isFinite(n) ? n : key;
      };
    }
  }
}

function wireTypeOf(type: ScalarType): number {
  switch (type) {
    case ScalarType.BYTES:
    case ScalarType.STRING:
      return LENGTH_DELIMITED;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return BIT64;
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
    case ScalarType.FLOAT:
      return BIT32;
    default:
      return VARINT;
  }
}

const SCALAR_WRITERS: Record<ScalarType, ValueWriter> = {
  [ScalarType.DOUBLE]: (writer, value) => writer.double(value),
  [ScalarType.FLOAT]: (writer, value) => writer.float(value),
  [ScalarType.INT64]: (writer, value) => writer.int64(value),
  [ScalarType.UINT64]: (writer, value) => writer.uint64(value),
  [ScalarType.INT32]: (writer, value) => writer.int32(value),
  [ScalarType.FIXED64]: (writer, value) => writer.fixed64(value),
  [ScalarType.FIXED32]: (writer, value) => writer.fixed32(value),
  [ScalarType.BOOL]: (writer, value) => writer.bool(value),
  [ScalarType.STRING]: (writer, value) => writer.string(value),
  [ScalarType.BYTES]: (writer, value) => writer.bytes(value),
  [ScalarType.UINT32]: (writer, value) => writer.uint32(value),
  [ScalarType.SFIXED32]: (writer, value) => writer.sfixed32(value),
  [ScalarType.SFIXED64]: (writer, value) => writer.sfixed64(value),
  [ScalarType.SINT32]: (writer, value) => writer.sint32(value),
  [ScalarType.SINT64]: (writer, value) => writer.sint64(value),
};
