import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyPack, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { EnvelopeSchema, LogEntrySchema, PingRequestSchema, type Envelope } from '@aico/contracts';
import { readEnvelope } from './envelope-reader';

function envelope(init: Partial<Envelope>): Uint8Array {
  return toBinary(EnvelopeSchema, create(EnvelopeSchema, init as never));
}

describe('readEnvelope', () => {
  const cases: [string, Uint8Array][] = [
    ['an empty envelope', envelope({})],
    [
      'every field the fast path reads',
      envelope({
        id: '019abcde-0000-7000-8000-000000000000',
        topic: 'system.log.entry',
        source: 'storage',
        instanceId: 'f3a1c2d4',
        timestamp: timestampFromMs(1_764_158_400_123),
        correlationId: 'c-1',
        replyTo: 'reply.abc',
        contractVersion: 300,
        attributes: { trace_id: 't-1', empty: '', naïve: 'ünïcødé ✓' },
        payload: anyPack(LogEntrySchema, create(LogEntrySchema, { message: 'é', service: 'storage' })),
        deadline: timestampFromMs(1_764_158_405_000),
        idempotencyKey: 'k-9',
      }),
    ],
    ['a large payload', envelope({ topic: 'a.b.c', payload: anyPack(PingRequestSchema, create(PingRequestSchema, { data: new Uint8Array(70_000).fill(3) })) })],
    [
      'an error reply (generic path)',
      envelope({ topic: 'reply.x', error: { $typeName: 'aico.bus.v1.ErrorInfo', code: 'NO', message: 'no', details: { a: 'b' } } }),
    ],
  ];

  it.each(cases)('decodes %s exactly as protobuf-es does', (_name, bytes) => {
    expect(readEnvelope(bytes)).toEqual(fromBinary(EnvelopeSchema, bytes));
    expect(readEnvelope(Buffer.from(bytes))).toEqual(fromBinary(EnvelopeSchema, bytes));
  });

  it('keeps fields of a newer contract by handing them to the generic decoder', () => {
    // Field 99 (string) is unknown to this build.
    const bytes = Buffer.concat([Buffer.from(envelope({ topic: 'a.b.c' })), Buffer.from([0x9a, 0x06, 0x01, 0x78])]);
    const decoded = readEnvelope(bytes);
    expect(decoded.topic).toBe('a.b.c');
    expect(toBinary(EnvelopeSchema, decoded)).toEqual(new Uint8Array(bytes));
  });

  it('agrees with protobuf-es on negative timestamps and invalid UTF-8', () => {
    const negative = envelope({ topic: 'a.b.c', deadline: { $typeName: 'google.protobuf.Timestamp', seconds: -5n, nanos: -3 } });
    expect(readEnvelope(negative)).toEqual(fromBinary(EnvelopeSchema, negative));
    const invalidUtf8 = Buffer.from([0x12, 0x02, 0xc3, 0x28]); // topic = C3 28: a broken two-byte sequence
    expect(() => fromBinary(EnvelopeSchema, invalidUtf8)).toThrow();
    expect(() => readEnvelope(invalidUtf8)).toThrow();
    const replacementChar = envelope({ topic: 'a.b.c', source: 'x\uFFFDy' }); // a real U+FFFD is fine
    expect(readEnvelope(replacementChar).source).toBe('x\uFFFDy');
  });

  it('throws on bytes that are not an envelope', () => {
    expect(() => readEnvelope(Buffer.from([0x0f, 0xff, 0x00]))).toThrow();
    expect(() => readEnvelope(Buffer.from([0x0a, 0x05, 0x61]))).toThrow('runs past the end');
    expect(() => readEnvelope(Buffer.from([0x38, 0xff, 0xff]))).toThrow('truncated varint');
    expect(() => readEnvelope(Buffer.from([0x4a, 0x02, 0x0a, 0x09]))).toThrow();
  });
});
