import { create, ScalarType, toBinary, type DescField, type DescMessage, type Message } from '@bufbuild/protobuf';
import {
  AnySchema,
  DurationSchema,
  FeatureSetSchema,
  FieldMaskSchema,
  GeneratedCodeInfoSchema,
  SourceCodeInfoSchema,
  StructSchema,
  ValueSchema,
} from '@bufbuild/protobuf/wkt';
import { defaultTopicRegistry, PingRequestSchema, LogEntrySchema } from '@aico/contracts';
import { PayloadWriter } from './payload-writer';

/** mulberry32: the same messages on every run, so a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEXTS = ['', 'a', 'héllo wörld', '日本語のテキスト', '🙂 emoji', 'x'.repeat(130), 'lone \ud800 surrogate', 'z'.repeat(20_000)];

class MessageMaker {
  constructor(private readonly next: () => number) {}

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  private int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  scalar(type: ScalarType): unknown {
    const edge = this.next() < 0.3;
    switch (type) {
      case ScalarType.STRING:
        return this.pick(TEXTS);
      case ScalarType.BYTES:
        return Uint8Array.from({ length: this.pick([0, 1, 127, 128, 200, 16_384]) }, () => this.int(0, 255));
      case ScalarType.BOOL:
        return this.next() < 0.5;
      case ScalarType.DOUBLE:
        return edge ? this.pick([0, -0, Number.NaN, Infinity, -Infinity, Number.MAX_VALUE]) : (this.next() - 0.5) * 1e12;
      case ScalarType.FLOAT:
        return edge ? this.pick([0, -0, Number.NaN, 3.4e38, -1.5]) : (this.next() - 0.5) * 1e6;
      case ScalarType.INT32:
      case ScalarType.SINT32:
      case ScalarType.SFIXED32:
        return edge ? this.pick([0, -1, 2_147_483_647, -2_147_483_648]) : this.int(-1e9, 1e9);
      case ScalarType.UINT32:
      case ScalarType.FIXED32:
        return edge ? this.pick([0, 127, 128, 4_294_967_295]) : this.int(0, 4e9);
      case ScalarType.INT64:
      case ScalarType.SINT64:
      case ScalarType.SFIXED64:
        return edge ? this.pick([0n, -1n, 9_223_372_036_854_775_807n, -9_223_372_036_854_775_808n]) : BigInt(this.int(-1e9, 1e9)) * 1_000_003n;
      case ScalarType.UINT64:
      case ScalarType.FIXED64:
        return edge ? this.pick([0n, 128n, 18_446_744_073_709_551_615n]) : BigInt(this.int(0, 2e9)) * 1_000_003n;
    }
  }

  mapKey(type: ScalarType): string {
    const key = this.scalar(type);
    return typeof key === 'string' ? key.slice(0, 12) : String(key);
  }

  message(desc: DescMessage, depth: number): Message {
    const init: Record<string, unknown> = {};
    for (const field of desc.fields) {
      if (field.oneof || this.next() < 0.25) continue;
      const value = this.field(field, depth);
      if (value !== undefined) init[field.localName] = value;
    }
    for (const oneof of desc.oneofs) {
      const field = this.pick([undefined, ...oneof.fields]);
      const value = field && this.field(field, depth);
      if (field && value !== undefined) init[oneof.localName] = { case: field.localName, value };
    }
    return create(desc, init as never);
  }

  private field(field: DescField, depth: number): unknown {
    const count = this.int(0, 3);
    switch (field.fieldKind) {
      case 'scalar':
        return this.scalar(field.scalar);
      case 'enum':
        return this.pick(field.enum.values).number;
      case 'message':
        return depth > 3 ? undefined : this.message(field.message, depth + 1);
      case 'list':
        if (field.listKind === 'message') return depth > 3 ? [] : Array.from({ length: count }, () => this.message(field.message, depth + 1));
        if (field.listKind === 'enum') return Array.from({ length: count }, () => this.pick(field.enum.values).number);
        return Array.from({ length: count }, () => this.scalar(field.scalar));
      case 'map': {
        const entries: Record<string, unknown> = {};
        for (let i = 0; i < count; i++) {
          const value =
            field.mapKind === 'message'
              ? depth > 3
                ? create(field.message)
                : this.message(field.message, depth + 1)
              : field.mapKind === 'enum'
                ? this.pick(field.enum.values).number
                : this.scalar(field.scalar);
          entries[this.mapKey(field.mapKey)] = value;
        }
        return entries;
      }
    }
  }
}

function payloadTypes(): DescMessage[] {
  const types = new Set<DescMessage>();
  for (const definition of defaultTopicRegistry.topics()) {
    types.add(definition.payload);
    if (definition.kind === 'request') {
      types.add(definition.response);
      if (definition.stream) types.add(definition.stream);
    }
  }
  // Well-known types cover what the contracts do not use yet: proto2 explicit presence and packed lists (descriptor.proto), oneofs
  // and recursion (Value), maps of messages (Struct).
  for (const schema of [FeatureSetSchema, SourceCodeInfoSchema, GeneratedCodeInfoSchema, StructSchema, ValueSchema, DurationSchema, FieldMaskSchema, AnySchema])
    types.add(schema);
  return [...types];
}

describe('PayloadWriter', () => {
  const types = payloadTypes();

  it('writes the bytes toBinary writes, for every payload type of the registry and random messages of each', () => {
    const make = new MessageMaker(random(18));
    const writer = new PayloadWriter();
    expect(types.length).toBeGreaterThan(40);
    let compared = 0;
    const handedToToBinary = new Set<string>();
    for (const schema of types) {
      for (let i = 0; i < 25; i++) {
        const message = make.message(schema, 0);
        const expected = toBinary(schema, message);
        const bytes = writer.encode(schema, message);
        // The writer's own output is a view of its scratch Buffer; toBinary returns a plain Uint8Array.
        if (!Buffer.isBuffer(bytes)) handedToToBinary.add(schema.typeName);
        expect({ type: schema.typeName, bytes: Buffer.from(bytes).toString('hex') }).toEqual({
          type: schema.typeName,
          bytes: Buffer.from(expected).toString('hex'),
        });
        compared++;
      }
    }
    expect(compared).toBe(types.length * 25);
    expect([...handedToToBinary]).toEqual([]);
  });

  it('shifts a length prefix that needs more than one byte, in nested messages too', () => {
    const writer = new PayloadWriter();
    for (const length of [127, 128, 16_383, 16_384, 300_000]) {
      const log = create(LogEntrySchema, { message: 'm'.repeat(length) });
      expect(Buffer.from(writer.encode(LogEntrySchema, log)).equals(Buffer.from(toBinary(LogEntrySchema, log)))).toBe(true);
      // A map entry holding a Value holding the string: two nested length prefixes to widen.
      const struct = create(StructSchema, { fields: { k: { kind: { case: 'stringValue', value: 'v'.repeat(length) } } } });
      expect(Buffer.from(writer.encode(StructSchema, struct)).equals(Buffer.from(toBinary(StructSchema, struct)))).toBe(true);
    }
    // After a large payload, a small one still encodes from the (released) scratch space.
    const small = create(PingRequestSchema, { data: Uint8Array.of(1, 2, 3), sequence: 7n });
    expect(Buffer.from(writer.encode(PingRequestSchema, small)).equals(Buffer.from(toBinary(PingRequestSchema, small)))).toBe(true);
  });

  it('hands what it does not take to toBinary: coerced values, unknown fields, and refused values with toBinary’s own error', () => {
    const writer = new PayloadWriter();
    // toBinary writes a number in a string field as its text; this writer takes strings only.
    const coerced = create(PingRequestSchema, { sequence: 42n });
    (coerced as unknown as Record<string, unknown>)['target'] = 5;
    const coercedBytes = writer.encode(PingRequestSchema, coerced);
    expect(Buffer.isBuffer(coercedBytes)).toBe(false);
    expect(Buffer.from(coercedBytes).equals(Buffer.from(toBinary(PingRequestSchema, coerced)))).toBe(true);

    const withUnknown = create(PingRequestSchema, { sequence: 1n });
    withUnknown.$unknown = [{ no: 99, wireType: 0, data: Uint8Array.of(5) }];
    const bytes = writer.encode(PingRequestSchema, withUnknown);
    expect(Buffer.from(bytes).equals(Buffer.from(toBinary(PingRequestSchema, withUnknown)))).toBe(true);
    expect(bytes.length).toBeGreaterThan(toBinary(PingRequestSchema, create(PingRequestSchema, { sequence: 1n })).length);

    const refused = create(PingRequestSchema);
    (refused as unknown as Record<string, unknown>)['sequence'] = 'not a number';
    expect(() => toBinary(PingRequestSchema, refused)).toThrow();
    let thrown: unknown;
    try {
      writer.encode(PingRequestSchema, refused);
    } catch (error) {
      thrown = error;
    }
    expect((thrown as Error).message).toBe(
      ((): string => {
        try {
          toBinary(PingRequestSchema, refused);
          return '';
        } catch (error) {
          return (error as Error).message;
        }
      })(),
    );
  });
});
