// Deny by default: only clients whose CURVE key derives from the master key for a known identity get through the
// proxy. Raw zeromq sockets play the intruders, so nothing in BusClient can mask a hole in the proxy.
import { create, toBinary } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { curveKeyPair, Publisher, Subscriber, type EventOfType } from 'zeromq';
import { EnvelopeSchema, LogEntrySchema, SystemTopics } from '@aico/contracts';
import { watchSocketEvents } from '../client/socket-events';
import { nextValue, TEST_TRANSPORTS, TestBus } from '../testing/bus-harness';

function rawEnvelope(topic: string, message: string): [string, Uint8Array] {
  const payload = anyPack(LogEntrySchema, create(LogEntrySchema, { message }));
  return [topic, toBinary(EnvelopeSchema, create(EnvelopeSchema, { id: 'raw', topic, source: 'monitor', payload }))];
}

describe.each(TEST_TRANSPORTS)('BusProxy over %s', (transport) => {
  let bus: TestBus;
  const sockets: (Publisher | Subscriber)[] = [];

  beforeEach(async () => {
    bus = await new TestBus({ transport }).start();
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close();
    await bus.stop();
  });

  function intruder<S extends Publisher | Subscriber>(socket: S, endpoint: string): S {
    sockets.push(socket);
    socket.connect(endpoint);
    return socket;
  }

  it('gives an unknown CURVE key nothing: its subscriber receives nothing and its publisher reaches nobody', async () => {
    const stranger = curveKeyPair();
    const serverKey = bus.keys.curveKeyPair('bus').publicKey;
    const options = { curveServerKey: serverKey, curvePublicKey: stranger.publicKey, curveSecretKey: stranger.secretKey, linger: 0 };
    const sub = new Subscriber({ ...options, receiveTimeout: 300 });
    sub.subscribe();
    const subRefused = nextValue<EventOfType<'handshake:error:auth'>>((deliver) => watchSocketEvents(sub, { 'handshake:error:auth': deliver }), 10_000, 'subscriber auth refusal');
    intruder(sub, bus.subscribeEndpoint);
    const pub = new Publisher(options);
    const pubRefused = nextValue<EventOfType<'handshake:error:auth'>>((deliver) => watchSocketEvents(pub, { 'handshake:error:auth': deliver }), 10_000, 'publisher auth refusal');
    intruder(pub, bus.publishEndpoint);
    expect((await subRefused).error.status).toBe(400);
    expect((await pubRefused).error.status).toBe(400);

    const known = await bus.connected('monitor');
    const listener = await bus.connected('gateway');
    const seen: string[] = [];
    listener.subscribe(SystemTopics.logEntry, (message) => void seen.push(message.payload.message));
    let markerArrived = false;
    listener.subscribe(SystemTopics.serviceStopping, () => void (markerArrived = true));
    await pub.send(rawEnvelope(SystemTopics.logEntry.topic, 'from the stranger')).catch(() => undefined);
    // The known client's traffic flows while the stranger's does not. Both subscriptions must have reached the
    // known publisher, so publish until the event and the marker after it have both arrived.
    for (let i = 0; i < 1_000 && !(seen.length > 0 && markerArrived); i++) {
      await known.publish(SystemTopics.logEntry, { message: 'from a known service' });
      await known.publish(SystemTopics.serviceStopping, {});
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(markerArrived).toBe(true);
    expect(seen).toContain('from a known service');
    expect(seen).not.toContain('from the stranger');
    await expect(sub.receive()).rejects.toMatchObject({ code: 'EAGAIN' });

    const refusals = bus.proxyLog.lines.filter((line) => line.msg === 'Bus client refused');
    expect(refusals.length).toBeGreaterThanOrEqual(2);
    expect(refusals[0]).toMatchObject({ reason: `unknown CURVE public key ${stranger.publicKey}` });
    expect(String(refusals[0]!['address'])).not.toBe('');
    expect(bus.proxyStats!.rejected).toBeGreaterThanOrEqual(2);
  });

  it('refuses a plain client that does not speak CURVE at all, and logs the failed handshake', async () => {
    const sub = new Subscriber({ receiveTimeout: 300, linger: 0 });
    sub.subscribe();
    const refused = nextValue<EventOfType<'handshake:error:protocol'>>((deliver) => watchSocketEvents(sub, { 'handshake:error:protocol': deliver }));
    intruder(sub, bus.subscribeEndpoint);
    const pub = new Publisher({ linger: 0 });
    const pubRefused = nextValue<EventOfType<'handshake:error:protocol'>>((deliver) => watchSocketEvents(pub, { 'handshake:error:protocol': deliver }));
    intruder(pub, bus.publishEndpoint);
    expect((await refused).error.code).toBe('ERR_ZMTP_MECHANISM_MISMATCH');
    await pubRefused;
    await pub.send(rawEnvelope(SystemTopics.logEntry.topic, 'plain text')).catch(() => undefined);

    const known = await bus.connected('monitor');
    await known.publish(SystemTopics.logEntry, { message: 'from a known service' });
    await expect(sub.receive()).rejects.toMatchObject({ code: 'EAGAIN' });
    const failures = bus.proxyLog.lines.filter((line) => line.msg === 'Bus client refused: handshake failed');
    expect(failures.length).toBeGreaterThanOrEqual(1);
    // The server sees the mismatch, or the client hanging up on it first ("Broken pipe"): either way it is logged with the peer.
    expect(String(failures[0]!['reason'])).toMatch(/ERR_ZMTP_MECHANISM_MISMATCH|Broken pipe|Connection reset/);
    expect(failures[0]!['address']).toBeTruthy();
  });

  it('admits a known identity with the server key it derives from the same master key', async () => {
    const keys = bus.keys.curveKeyPair('scheduler');
    const sub = new Subscriber({ curveServerKey: bus.keys.curveKeyPair('bus').publicKey, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey, linger: 0 });
    sockets.push(sub);
    const handshake = nextValue<void>((deliver) => watchSocketEvents(sub, { handshake: () => deliver() }));
    sub.connect(bus.subscribeEndpoint);
    await handshake;
    expect(bus.proxyLog.lines.some((line) => line.msg === 'Bus client admitted' && line['identity'] === 'scheduler')).toBe(true);
  });
});
