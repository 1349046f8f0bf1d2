import { create, toBinary } from '@bufbuild/protobuf';
import { anyPack, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { EnvelopeSchema, LogEntrySchema, PingRequestSchema } from '@aico/contracts';
import { EnvelopeWriter, type EnvelopeFields } from './envelope-writer';

function reference(source: string, instanceId: string, fields: EnvelopeFields, payload?: Parameters<typeof anyPack>[1]): Uint8Array {
  const envelope = create(EnvelopeSchema, {
    id: fields.id,
    topic: fields.topic,
    source,
    instanceId,
    timestamp: timestampFromMs(fields.timestampMs),
    correlationId: fields.correlationId,
    replyTo: fields.replyTo,
    contractVersion: fields.contractVersion,
    attributes: { ...fields.attributes },
    idempotencyKey: fields.idempotencyKey,
  });
  if (payload) envelope.payload = anyPack(payload.$typeName === 'aico.system.v1.LogEntry' ? LogEntrySchema : PingRequestSchema, payload as never);
  if (fields.deadlineMs !== undefined) envelope.deadline = timestampFromMs(fields.deadlineMs);
  return toBinary(EnvelopeSchema, envelope);
}

describe('EnvelopeWriter', () => {
  const base: EnvelopeFields = {
    id: '019abcde-0000-7000-8000-000000000000',
    topic: 'system.log.entry',
    timestampMs: 1_764_158_400_123,
    correlationId: '',
    replyTo: '',
    contractVersion: 1,
    attributes: undefined,
    payloadTypeUrl: undefined,
    payloadBytes: undefined,
    deadlineMs: undefined,
    idempotencyKey: '',
  };

  const cases: [
    string,
    Partial<EnvelopeFields>,
    ReturnType<typeof create<typeof LogEntrySchema>> | ReturnType<typeof create<typeof PingRequestSchema>> | undefined,
  ][] = [
    ['no payload', {}, undefined],
    ['an empty payload message', {}, create(PingRequestSchema)],
    ['a small payload', {}, create(LogEntrySchema, { message: 'hello', service: 'storage' })],
    ['a payload over 16 KiB (3-byte length varints)', {}, create(PingRequestSchema, { data: new Uint8Array(20_000).fill(7), sequence: 2n ** 40n })],
    [
      'a request with deadline, reply topic and idempotency key',
      { correlationId: 'c-1', replyTo: 'reply.abc', deadlineMs: 1_764_158_405_000, idempotencyKey: 'k-9' },
      create(PingRequestSchema, { target: 'monitor' }),
    ],
    [
      'attributes, including an empty value and non-ASCII text',
      { attributes: { trace_id: 't-1', empty: '', naïve: 'ünïcødé ✓' } },
      create(LogEntrySchema, { message: 'é' }),
    ],
    ['a whole-second timestamp (nanos omitted) and contract version 0', { timestampMs: 1_764_158_400_000, contractVersion: 0 }, undefined],
    ['a large contract version', { contractVersion: 300 }, undefined],
  ];

  it.each(cases)('writes exactly what protobuf-es writes: %s', (_name, overrides, payload) => {
    const writer = new EnvelopeWriter('gateway', 'f3a1c2d4-0000-4000-8000-123456789abc');
    const fields: EnvelopeFields = {
      ...base,
      ...overrides,
      ...(payload
        ? {
            payloadTypeUrl: `type.googleapis.com/${payload.$typeName}`,
            payloadBytes: toBinary(payload.$typeName === 'aico.system.v1.LogEntry' ? LogEntrySchema : PingRequestSchema, payload as never),
          }
        : {}),
    };
    const written = writer.write(fields);
    expect(Buffer.from(written).toString('hex')).toBe(
      Buffer.from(reference('gateway', 'f3a1c2d4-0000-4000-8000-123456789abc', fields, payload)).toString('hex'),
    );
  });
});
