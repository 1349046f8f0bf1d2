// Deny by default: only clients whose CURVE key derives from the master key for a known identity get through the
// proxy. Raw zeromq sockets play the intruders, so nothing in BusClient can mask a hole in the proxy.
import { create, toBinary } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { curveKeyPair, Publisher, Subscriber, type EventOfType } from 'zeromq';
import { EnvelopeSchema, LogEntrySchema, SystemTopics } from '@aico/contracts';
import { watchSocketEvents } from '../client/socket-events';
import { nextValue, TEST_TRANSPORTS, TestBus } from '../testing/bus-harness';
import { floodWithRefusedClients } from '../testing/refusal-flood';
import { BusRefusalReason } from './refusal-log';

/** Waits (with a generous deadline) until the in-process proxy's counters say `done`: a signal, not a sleep. */
async function until(done: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const refusalLines = (bus: TestBus) => bus.proxyLog.lines.filter((line) => String(line.msg).startsWith('Bus client refused'));
const countSum = (lines: readonly { readonly [field: string]: unknown }[]) => lines.reduce((sum, line) => sum + Number(line['count']), 0);

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
    const subRefused = nextValue<EventOfType<'handshake:error:auth'>>(
      (deliver) => watchSocketEvents(sub, { 'handshake:error:auth': deliver }),
      undefined,
      'subscriber auth refusal',
    );
    intruder(sub, bus.subscribeEndpoint);
    const pub = new Publisher(options);
    const pubRefused = nextValue<EventOfType<'handshake:error:auth'>>(
      (deliver) => watchSocketEvents(pub, { 'handshake:error:auth': deliver }),
      undefined,
      'publisher auth refusal',
    );
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
    // known publisher, so publish until the event and the marker after it have both arrived (or a deadline passes).
    const deadline = Date.now() + 60_000;
    while (!(seen.length > 0 && markerArrived) && Date.now() < deadline) {
      await known.publish(SystemTopics.logEntry, { message: 'from a known service' });
      await known.publish(SystemTopics.serviceStopping, {});
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(markerArrived).toBe(true);
    expect(seen).toContain('from a known service');
    expect(seen).not.toContain('from the stranger');
    await expect(sub.receive()).rejects.toMatchObject({ code: 'EAGAIN' });

    const refusals = bus.proxyLog.lines.filter((line) => line.msg === 'Bus client refused');
    // Two sockets with one key from one address: the first refusal is logged at once, the rest are counted.
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ level: 40, reason: BusRefusalReason.UnknownKey, detail: `unknown CURVE public key ${stranger.publicKey}`, count: 1 });
    expect(String(refusals[0]!['address'])).not.toBe('');
    expect(bus.proxyStats!.rejected).toBeGreaterThanOrEqual(2);
    // Stopping reports what was counted: every refusal is in exactly one line's count.
    await bus.stopProxy();
    const stats = bus.proxyStats!;
    const repeated = bus.proxyLog.lines.filter((line) => line.msg === 'Bus client refused repeatedly');
    expect(repeated).toHaveLength(1);
    expect(repeated[0]).toMatchObject({
      reason: BusRefusalReason.UnknownKey,
      address: refusals[0]!['address'],
      details: [`unknown CURVE public key ${stranger.publicKey}`],
    });
    expect(countSum(refusalLines(bus))).toBe(stats.rejected);
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
    await until(() => bus.proxyStats!.handshakeFailures >= 1, 'a failed handshake seen by the proxy');
    const failures = bus.proxyLog.lines.filter((line) => line.msg === 'Bus client refused' && line['reason'] !== BusRefusalReason.UnknownKey);
    expect(failures.length).toBeGreaterThanOrEqual(1);
    // The server sees the mismatch, or the client hanging up on it first ("Broken pipe"): either way it is logged
    // with the endpoint (libzmq names no peer for a handshake that failed before ZAP).
    expect(failures[0]).toMatchObject({
      reason: expect.stringMatching(/^(HANDSHAKE_PROTOCOL_ERROR|HANDSHAKE_ABORTED)$/),
      role: expect.stringMatching(/^(publish|subscribe)$/),
    });
    expect(String(failures[0]!['detail'])).toMatch(/ERR_ZMTP_MECHANISM_MISMATCH|Broken pipe|Connection reset/);
    expect(failures[0]!['address']).toBeTruthy();
  });

  it('admits a known identity with the server key it derives from the same master key', async () => {
    const keys = bus.keys.curveKeyPair('scheduler');
    const sub = new Subscriber({
      curveServerKey: bus.keys.curveKeyPair('bus').publicKey,
      curvePublicKey: keys.publicKey,
      curveSecretKey: keys.secretKey,
      linger: 0,
    });
    sockets.push(sub);
    const handshake = nextValue<void>((deliver) => watchSocketEvents(sub, { handshake: () => deliver() }));
    sub.connect(bus.subscribeEndpoint);
    await handshake;
    expect(bus.proxyLog.lines.some((line) => line.msg === 'Bus client admitted' && line['identity'] === 'scheduler')).toBe(true);
  });

  it('logs 1,000 refused clients (plain and unknown keys) in a handful of lines whose counts add up to the attempts', async () => {
    await bus.stop();
    // An hour: no periodic report during the test, so the lines are exactly the immediate ones plus the report at stop.
    bus = await new TestBus({ transport, proxy: { refusalLogIntervalMs: 3_600_000 } }).start();
    const flood = await floodWithRefusedClients({
      publishEndpoint: bus.publishEndpoint,
      subscribeEndpoint: bus.subscribeEndpoint,
      serverPublicKey: bus.keys.curveKeyPair('bus').publicKey,
      plain: 500,
      wrongKey: 500,
    });
    expect(flood.attempts).toBe(1_000);
    // A ZAP refusal is counted before the client hears it; a plain client's failed handshake is an event the proxy
    // reads after the client has given up: wait for the proxy to have seen all of them.
    await until(() => bus.proxyStats!.rejected + bus.proxyStats!.handshakeFailures >= 1_000, 'every refusal reaching the proxy');
    const stats = bus.proxyStats!;
    expect({ rejected: stats.rejected, handshakeFailures: stats.handshakeFailures }).toEqual({ rejected: 500, handshakeFailures: 500 });
    await bus.stopProxy();

    const lines = refusalLines(bus);
    // Sources × reasons × (one at once + one report): ZAP refusals from one address; plain clients by the two
    // endpoints and the two ways their handshake ends.
    expect(lines.length).toBeLessThanOrEqual(10);
    expect(countSum(lines)).toBe(1_000);
    expect(countSum(lines.filter((line) => line['reason'] === BusRefusalReason.UnknownKey))).toBe(500);
    expect(lines.every((line) => line.level === 40 && typeof line['firstAt'] === 'string' && typeof line['lastAt'] === 'string')).toBe(true);
  }, 180_000);
});
