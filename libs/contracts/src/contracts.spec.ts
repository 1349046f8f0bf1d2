import { create, fromBinary, ScalarType, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { anyPack, anyUnpack, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { defaultTopicRegistry } from './default-registry';
import { EnvelopeSchema, ErrorInfoSchema } from './gen/aico/bus/v1/envelope_pb';
import { HeartbeatSchema } from './gen/aico/system/v1/heartbeat_pb';
import { isServiceIdentity, SERVICE_IDENTITIES } from './identities';
import { SystemTopics } from './system-topics';
import { LogEntrySchema } from './gen/aico/system/v1/log_pb';
import { PingRequestSchema, PingResponseSchema } from './gen/aico/system/v1/ping_pb';
import { defineEvent, defineRequest, isReplyTopic, isStreamRequest, mayPublish, TopicRegistry, TopicRegistryError } from './topic-registry';

describe('topic registry', () => {
  it('maps every system topic to its payload schema and publishers', () => {
    expect(defaultTopicRegistry.get('system.health.heartbeat')).toBe(SystemTopics.heartbeat);
    expect(defaultTopicRegistry.get('system.health.heartbeat')!.payload).toBe(HeartbeatSchema);
    expect(defaultTopicRegistry.get('system.health.ping')!.kind).toBe('request');
    expect(defaultTopicRegistry.has('system.nothing.here')).toBe(false);
    expect(defaultTopicRegistry.topics().map((t) => t.topic)).toEqual(expect.arrayContaining(['system.service.ready', 'system.log.entry']));
  });

  it('names only known identities as publishers', () => {
    for (const def of defaultTopicRegistry.topics()) {
      if (def.publishers !== 'any') for (const identity of def.publishers) expect(isServiceIdentity(identity)).toBe(true);
    }
    expect(mayPublish(SystemTopics.serviceShutdown.publishers, 'supervisor')).toBe(true);
    expect(mayPublish(SystemTopics.serviceShutdown.publishers, 'gateway')).toBe(false);
    expect(mayPublish('any', 'gateway')).toBe(true);
    expect(SERVICE_IDENTITIES).toContain('bus');
  });

  it('refuses malformed topic names and duplicates', () => {
    const payload = HeartbeatSchema;
    const base = { payload, publishers: 'any' as const, contractVersion: 1, description: '' };
    expect(() => new TopicRegistry([defineEvent({ ...base, topic: 'System.Health' })])).toThrow(TopicRegistryError);
    expect(() => new TopicRegistry([defineEvent({ ...base, topic: 'two.segments' })])).toThrow('<domain>.<subject>.<event>');
    expect(() => defaultTopicRegistry.with([defineEvent({ ...base, topic: 'system.health.heartbeat' })])).toThrow('defined twice');
    expect(defaultTopicRegistry.with([defineEvent({ ...base, topic: 'ui.state.changed' })]).has('ui.state.changed')).toBe(true);
  });

  it('carries the delta type of a streamed request, and tells streamed from unary requests', () => {
    const base = {
      payload: PingRequestSchema,
      response: PingResponseSchema,
      publishers: 'any' as const,
      responders: 'any' as const,
      contractVersion: 1,
      description: '',
    };
    const streamed = defineRequest({ ...base, topic: 'test.stream.request', stream: LogEntrySchema });
    const unary = defineRequest({ ...base, topic: 'test.unary.request' });
    const registry = defaultTopicRegistry.with([streamed, unary]);
    expect(registry.get('test.stream.request')).toMatchObject({ kind: 'request', response: PingResponseSchema, stream: LogEntrySchema });
    expect(isStreamRequest(registry.get('test.stream.request'))).toBe(true);
    expect(isStreamRequest(registry.get('test.unary.request'))).toBe(false);
    expect(isStreamRequest(SystemTopics.heartbeat)).toBe(false);
    expect(isStreamRequest(undefined)).toBe(false);
  });

  it('recognises reply topics', () => {
    expect(isReplyTopic('reply.0193-abc')).toBe(true);
    expect(isReplyTopic('reply.')).toBe(false);
    expect(isReplyTopic('system.health.ping')).toBe(false);
  });
});

describe('generated messages round-trip through their binary form', () => {
  const schemas: DescMessage[] = [
    EnvelopeSchema,
    ErrorInfoSchema,
    ...defaultTopicRegistry.topics().flatMap((t) => (t.kind === 'request' ? [t.payload, t.response, ...(t.stream ? [t.stream] : [])] : [t.payload])),
  ];

  it.each(schemas.map((schema) => [schema.typeName, schema] as const))('%s', (_name, schema) => {
    const message = create(schema);
    // Fill every scalar field with a non-default value so the round trip proves each one is carried.
    for (const field of schema.fields) {
      if (field.fieldKind !== 'scalar') continue;
      // A member of a oneof lives in the oneof's { case, value }; the last scalar member set is the one carried.
      if (field.oneof) (message as Record<string, unknown>)[field.oneof.localName] = { case: field.localName, value: sampleScalar(field.scalar) };
      else (message as Record<string, unknown>)[field.localName] = sampleScalar(field.scalar);
    }
    const decoded = fromBinary(schema, toBinary(schema, message));
    expect(decoded).toEqual(message);
  });

  it('carries a typed payload inside the envelope Any', () => {
    const heartbeat = create(HeartbeatSchema, { service: 'storage', intervalMs: 5000 });
    const envelope = create(EnvelopeSchema, {
      id: 'x',
      topic: 'system.health.heartbeat',
      timestamp: timestampFromMs(1_700_000_000_000),
      payload: anyPack(HeartbeatSchema, heartbeat),
    });
    const decoded = fromBinary(EnvelopeSchema, toBinary(EnvelopeSchema, envelope));
    expect(decoded.payload!.typeUrl).toBe('type.googleapis.com/aico.system.v1.Heartbeat');
    expect(anyUnpack(decoded.payload!, HeartbeatSchema)).toEqual(heartbeat);
  });
});

function sampleScalar(type: ScalarType): unknown {
  switch (type) {
    case ScalarType.STRING:
      return 'x';
    case ScalarType.BOOL:
      return true;
    case ScalarType.BYTES:
      return new Uint8Array([1, 2]);
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SINT64:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return 7n;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return 1.5;
    case ScalarType.INT32:
    case ScalarType.UINT32:
    case ScalarType.SINT32:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return 7;
  }
}
