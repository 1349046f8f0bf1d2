// Whatever arrives, the receiving process keeps working: garbage, wrong frame counts, oversize frames, unknown
// topics, wrong payload types and forged sources are each dropped, counted by reason and logged.
import { create, toBinary, type DescMessage, type MessageInitShape } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { Publisher } from 'zeromq';
import { EnvelopeSchema, LogEntrySchema, PingRequestSchema, ShutdownRequestSchema, SystemTopics, type LogEntry } from '@aico/contracts';
import { nextValue, requestWhenRoutable, TEST_TRANSPORTS, TestBus } from '../testing/bus-harness';

function envelope<S extends DescMessage>(topic: string, schema: S, payload: MessageInitShape<S>, source = 'monitor'): Uint8Array {
  return toBinary(EnvelopeSchema, create(EnvelopeSchema, { id: `raw-${Math.random()}`, topic, source, payload: anyPack(schema, create(schema, payload)) }));
}

describe.each(TEST_TRANSPORTS)('BusClient receiving bad input over %s', (transport) => {
  let bus: TestBus;
  let raw: Publisher;

  beforeEach(async () => {
    bus = await new TestBus({ transport }).start();
    // An authorised identity sending by hand: the bus admits it, so only the receiver's checks stand in the way.
    const keys = bus.keys.curveKeyPair('monitor');
    raw = new Publisher({ curveServerKey: bus.keys.curveKeyPair('bus').publicKey, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey, linger: 0 });
    raw.connect(bus.publishEndpoint);
  });
  afterEach(async () => {
    raw.close();
    await bus.stop();
  });

  it('drops each kind of bad envelope with a log line and a counter, and keeps delivering good ones', async () => {
    const receiver = await bus.connected('gateway', { maxEnvelopeBytes: 2_048 });
    const delivered: string[] = [];
    receiver.subscribePrefix('system.', (message) => {
      if (message.topic === 'system.log.entry') delivered.push((message.payload as LogEntry).message);
    });
    const good = (text: string): [string, Uint8Array] => ['system.log.entry', envelope('system.log.entry', LogEntrySchema, { message: text })];

    // Readiness: resend a first good envelope until it arrives (the raw publisher has no probe of its own).
    const first = nextValue<void>((deliver) => {
      const timer = setInterval(() => (delivered.includes('first') ? (clearInterval(timer), deliver()) : void raw.send(good('first'))), 10);
    });
    await first;

    await raw.send(['system.log.entry', Buffer.from([0x0f, 0xff, 0x00])]); // wire type 7 does not exist: not protobuf
    await raw.send(['system.log.entry', envelope('system.log.entry', LogEntrySchema, {}), Buffer.from('extra')]);
    await raw.send(['system.log.entry', envelope('system.log.entry', LogEntrySchema, { message: 'x'.repeat(4_096) })]);
    await raw.send(['system.made.up', envelope('system.made.up', LogEntrySchema, { message: 'unknown' })]);
    await raw.send(['system.log.entry', envelope('system.health.heartbeat', LogEntrySchema, { message: 'mismatch' })]);
    await raw.send(['system.health.heartbeat', envelope('system.health.heartbeat', PingRequestSchema, {})]);
    await raw.send(['system.service.shutdown', envelope('system.service.shutdown', ShutdownRequestSchema, { service: '' }, 'gateway')]);
    const last = nextValue<void>((deliver) => receiver.subscribePrefix('system.log.', (m) => (m.payload as LogEntry).message === 'last' && deliver()));
    await raw.send(good('last'));
    await last;

    expect(receiver.stats.droppedByReason).toEqual({
      malformed: 1,
      frame_count: 1,
      oversize: 1,
      unknown_topic: 1,
      topic_mismatch: 1,
      wrong_payload_type: 1,
      unauthorized_source: 1,
    });
    expect(receiver.stats.dropped).toBe(7);
    expect(delivered.filter((text) => text !== 'first')).toEqual(['last']);
    const dropLines = receiver.logLines.filter((line) => line.msg.startsWith('Dropped envelope'));
    expect(dropLines.map((line) => line['reason']).sort()).toEqual([
      'frame_count',
      'malformed',
      'oversize',
      'topic_mismatch',
      'unauthorized_source',
      'unknown_topic',
      'wrong_payload_type',
    ]);
    expect(dropLines.find((line) => line['reason'] === 'oversize')).toMatchObject({ topic: 'system.log.entry', limit: 2_048 });
    expect(dropLines.find((line) => line['reason'] === 'unauthorized_source')).toMatchObject({ source: 'gateway', topic: 'system.service.shutdown' });
    expect(receiver.state).toBe('ready');
  });

  it('keeps answering pings after a ping whose payload does not decode', async () => {
    const receiver = await bus.connected('gateway');
    const asker = await bus.connected('cli');
    const ask = (timeoutMs: number) => asker.request(SystemTopics.ping, { target: 'gateway' }, { timeoutMs });
    await requestWhenRoutable(ask);
    // A PingRequest Any whose bytes are not a PingRequest: the built-in handler's filter fails to decode it.
    const bad = create(EnvelopeSchema, {
      id: 'bad',
      topic: 'system.health.ping',
      source: 'monitor',
      replyTo: asker.replyTopic,
      correlationId: 'bad-1',
      payload: { $typeName: 'google.protobuf.Any', typeUrl: 'type.googleapis.com/aico.system.v1.PingRequest', value: new Uint8Array([0x0f, 0xff]) },
    });
    await raw.send(['system.health.ping', toBinary(EnvelopeSchema, bad)]);
    await nextValue<void>((deliver) => {
      const timer = setInterval(() => receiver.stats.droppedByReason['malformed'] && (clearInterval(timer), deliver()), 5);
    });
    expect((await ask(5_000)).service).toBe('gateway');
  });

  it('logs a flood of garbage once per interval, not once per envelope', async () => {
    // An hour: the whole flood falls in one interval however slow the machine (drop-counter.spec covers the count).
    const receiver = await bus.connected('gateway', { dropLogIntervalMs: 3_600_000 });
    const afterFlood = nextValue<void>((deliver) =>
      receiver.subscribePrefix('system.log.', (m) => (m.payload as LogEntry).message === 'after the flood' && deliver()),
    );
    const seen = nextValue<void>((deliver) => {
      const timer = setInterval(() => {
        void raw.send(['system.log.entry', Buffer.from([0x0f])]);
        if (receiver.stats.droppedByReason['malformed']) {
          clearInterval(timer);
          deliver();
        }
      }, 5);
    });
    await seen;
    const before = receiver.stats.droppedByReason['malformed']!;
    const flood = 500;
    for (let i = 0; i < flood; i++) await raw.send(['system.log.entry', Buffer.from([0x0f])]);
    await raw.send(['system.log.entry', envelope('system.log.entry', LogEntrySchema, { message: 'after the flood' })]);
    await afterFlood;
    // At least most of the flood arrived (PUB may drop at its high-water mark); each one was counted.
    expect(receiver.stats.droppedByReason['malformed']).toBeGreaterThan(before);
    const lines = receiver.logLines.filter((line) => line['reason'] === 'malformed');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, droppedTotal: 1 });
    expect(receiver.state).toBe('ready');
  });
});
