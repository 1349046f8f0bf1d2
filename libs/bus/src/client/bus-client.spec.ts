// BusClient against a real CURVE proxy, over tcp and ipc: routing, request/reply, deadlines, typed errors,
// publish validation, queued sends, and reconnection after the proxy restarts.
import { inspect } from 'node:util';
import { create } from '@bufbuild/protobuf';
import { defaultTopicRegistry, defineRequest, HeartbeatSchema, PingRequestSchema, PingResponseSchema, ServiceReadySchema, SystemTopics } from '@aico/contracts';
import { captureLogger } from '@aico/logging';
import { BusError, BusErrorCode, RemoteError } from '../bus.error';
import { nextValue, requestWhenRoutable, TEST_TRANSPORTS, TestBus, type TestClient } from '../testing/bus-harness';
import type { IncomingMessage } from './envelope-codec';

const EchoRequest = defineRequest({
  topic: 'test.echo.request',
  payload: PingRequestSchema,
  response: PingResponseSchema,
  publishers: 'any',
  responders: ['storage'],
  contractVersion: 1,
  description: 'Test request answered by the storage identity.',
});
const registry = defaultTopicRegistry.with([EchoRequest]);

describe.each(TEST_TRANSPORTS)('BusClient over %s', (transport) => {
  let bus: TestBus;

  beforeEach(async () => {
    bus = await new TestBus({ transport, registry }).start();
  });
  afterEach(() => bus.stop());

  it('routes by topic prefix: a prefix subscriber sees its domain, an exact subscriber only its topic', async () => {
    const publisher = await bus.connected('monitor');
    const subscriber = await bus.connected('gateway');
    const byPrefix: string[] = [];
    const exact: string[] = [];
    subscriber.subscribePrefix('system.health.', (message) => void byPrefix.push(message.topic));
    subscriber.subscribe(SystemTopics.serviceReady, (message) => void exact.push(message.payload.service));
    const marker = nextValue<void>((deliver) => subscriber.subscribe(SystemTopics.serviceStopping, () => deliver()));
    // Subscriptions travel to the proxy asynchronously: probe until this client's own subscriptions are live.
    await waitForSubscription(publisher, subscriber);

    await publisher.publish(SystemTopics.heartbeat, { service: 'monitor' });
    await publisher.publish(SystemTopics.serviceReady, { service: 'monitor' });
    await publisher.publish(SystemTopics.logEntry, { message: 'not for this subscriber' });
    await publisher.publish(SystemTopics.serviceStopping, { service: 'monitor' });
    await marker;

    expect(byPrefix).toEqual(['system.health.heartbeat']);
    expect(exact).toEqual(['monitor']);
  });

  it('answers a request with a typed reply and carries the correlation id', async () => {
    const responder = await bus.connected('storage');
    const requester = await bus.connected('gateway');
    let seenCorrelation = '';
    responder.handle(EchoRequest, (request) => {
      seenCorrelation = request.correlationId;
      return { data: request.payload.data, sequence: request.payload.sequence + 1n, service: 'storage' };
    });
    const reply = await requestWhenRoutable((timeoutMs) => requester.request(EchoRequest, { data: Buffer.from('hi'), sequence: 41n }, { timeoutMs }));

    expect(reply.$typeName).toBe('aico.system.v1.PingResponse');
    expect(Buffer.from(reply.data).toString()).toBe('hi');
    expect(reply.sequence).toBe(42n);
    expect(seenCorrelation).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('answers a targeted ping from the built-in handler of that identity only', async () => {
    await bus.connected('storage');
    await bus.connected('monitor');
    const requester = await bus.connected('gateway');
    const reply = await requestWhenRoutable((timeoutMs) => requester.request(SystemTopics.ping, { target: 'monitor', sequence: 7n }, { timeoutMs }));
    expect(reply.service).toBe('monitor');
    expect(reply.sequence).toBe(7n);
  });

  it('rejects with DEADLINE_EXCEEDED when nobody answers in time, and counts the late reply', async () => {
    const responder = await bus.connected('storage');
    const requester = await bus.connected('gateway');
    let release!: () => void;
    const handled = new Promise<void>((resolve) => (release = resolve));
    const started = nextValue<void>((deliver) =>
      responder.handle(EchoRequest, async (request) => {
        // Sequence 0 is waitForSubscription's routability probe; it is answered at once.
        if (request.payload.sequence === 0n) return { service: 'storage' };
        deliver();
        await handled;
        return { service: 'storage' };
      }),
    );
    await waitForSubscription(requester, responder, EchoRequest.topic);

    const request = requester.request(EchoRequest, { sequence: 1n }, { timeoutMs: 300 });
    await started;
    await expect(request).rejects.toMatchObject({ code: BusErrorCode.DeadlineExceeded, name: 'BusError' });
    expect(requester.stats.pendingRequests).toBe(0);

    // The reply that arrives after the deadline is dropped, counted and logged at debug level.
    const lateLogged = nextValue<void>((deliver) => {
      const timer = setInterval(() => {
        if (requester.stats.droppedByReason['late_reply'] === 1) {
          clearInterval(timer);
          deliver();
        }
      }, 5);
    });
    release();
    await lateLogged;
    expect(requester.logLines.some((line) => line.reason === 'late_reply')).toBe(true);
  });

  it('turns a handler error with a code into a typed error reply, and hides the message of an unexpected one', async () => {
    const responder = await bus.connected('storage');
    const requester = await bus.connected('gateway');
    responder.handle(EchoRequest, (request) => {
      if (request.payload.sequence === 1n) throw new BusError(BusErrorCode.InvalidRequest, 'sequence 1 is not allowed');
      if (request.payload.sequence === 3n) throw Object.assign(new Error("ENOENT: no such file, open '/home/ada/notes.db'"), { code: 'ENOENT' });
      throw new Error('database password is hunter2');
    });
    const coded = await requestWhenRoutable((timeoutMs) => requester.request(EchoRequest, { sequence: 1n }, { timeoutMs })).catch((error: unknown) => error);
    expect(coded).toBeInstanceOf(RemoteError);
    expect(coded).toMatchObject({ code: 'INVALID_REQUEST', message: 'sequence 1 is not allowed', source: 'storage' });

    const unexpected = await requester.request(EchoRequest, { sequence: 2n }).catch((error: unknown) => error);
    expect(unexpected).toMatchObject({ code: BusErrorCode.HandlerFailed, source: 'storage' });
    expect((unexpected as Error).message).not.toContain('hunter2');
    expect((unexpected as Error).message).toContain('correlation id');
    // A system error has a code, but it was not written for the caller: neither its code nor its path goes out.
    const system = await requester.request(EchoRequest, { sequence: 3n }).catch((error: unknown) => error);
    expect(system).toMatchObject({ code: BusErrorCode.HandlerFailed });
    expect((system as Error).message).not.toContain('/home/ada');
  });

  it('applies a retried request once: a repeated idempotency key gets the first reply again', async () => {
    const responder = await bus.connected('storage');
    const requester = await bus.connected('gateway');
    let applied = 0;
    responder.handle(EchoRequest, (request) => {
      if (request.payload.sequence > 0n) applied++;
      return { sequence: BigInt(applied), service: 'storage' };
    });
    await requestWhenRoutable((timeoutMs) => requester.request(EchoRequest, {}, { timeoutMs }));
    const first = await requester.request(EchoRequest, { sequence: 1n }, { idempotencyKey: 'write-1' });
    const retry = await requester.request(EchoRequest, { sequence: 1n }, { idempotencyKey: 'write-1' });
    const other = await requester.request(EchoRequest, { sequence: 1n }, { idempotencyKey: 'write-2' });
    expect([first.sequence, retry.sequence, other.sequence]).toEqual([1n, 1n, 2n]);
    expect(applied).toBe(2);
  });

  it('refuses to publish an unregistered topic, a payload of the wrong type, or a topic the identity does not own', async () => {
    const client = await bus.connected('gateway');
    expect(() => client.publish('system.nothing.here', create(HeartbeatSchema))).toThrow(
      expect.objectContaining({ code: BusErrorCode.UnknownTopic, message: expect.stringContaining('system.nothing.here') }),
    );
    expect(() => client.publish(SystemTopics.heartbeat.topic, create(ServiceReadySchema))).toThrow(
      expect.objectContaining({ code: BusErrorCode.WrongPayloadType, message: expect.stringContaining('aico.system.v1.Heartbeat') }),
    );
    expect(() => client.publish(SystemTopics.serviceShutdown, { service: 'storage' })).toThrow(
      expect.objectContaining({
        code: BusErrorCode.NotPermitted,
        message: 'Refused by the access policy: service "gateway" is not among the publishers of system.service.shutdown.',
      }),
    );
    expect(() => client.publish(SystemTopics.ping.topic, create(PingRequestSchema))).toThrow(expect.objectContaining({ code: BusErrorCode.NotARequestTopic }));
    expect(() => client.handle(EchoRequest, () => ({}))).toThrow(expect.objectContaining({ code: BusErrorCode.NotPermitted }));
  });

  it('queues concurrent publishes through one pending send (no EBUSY) and delivers them all in order', async () => {
    const publisher = await bus.connected('monitor');
    const subscriber = await bus.connected('gateway');
    const received: number[] = [];
    const total = 3_000;
    const done = nextValue<void>((deliver) =>
      subscriber.subscribe(SystemTopics.logEntry, (message) => {
        if (message.envelope.attributes['probe']) return;
        received.push(Number(message.payload.message));
        if (received.length === total) deliver();
      }),
    );
    await waitForSubscription(publisher, subscriber, SystemTopics.logEntry.topic);
    const sends = Array.from({ length: total }, (_, i) => publisher.publish(SystemTopics.logEntry, { message: String(i) }));
    await Promise.all(sends);
    await done;
    expect(received).toEqual(Array.from({ length: total }, (_, i) => i));
  });

  it('reconnects after the proxy restarts: holds envelopes while down and delivers them after', async () => {
    const publisher = await bus.connected('monitor');
    const subscriber = await bus.connected('gateway');
    const messages: string[] = [];
    subscriber.subscribe(SystemTopics.logEntry, (message) => void messages.push(message.payload.message));
    await waitForSubscription(publisher, subscriber, SystemTopics.logEntry.topic);

    const publisherDown = nextValue<void>((deliver) => publisher.once('disconnected', deliver));
    await bus.stopProxy();
    await publisherDown;
    expect(publisher.state).toBe('reconnecting');
    const heldWhileDown = publisher.publish(SystemTopics.logEntry, { message: 'sent while the bus was down' });

    const back = Promise.all([
      nextValue<void>((deliver) => publisher.once('reconnected', deliver)),
      nextValue<void>((deliver) => subscriber.once('reconnected', deliver)),
    ]);
    await bus.start();
    await back;
    await heldWhileDown;
    await waitForSubscription(publisher, subscriber, SystemTopics.logEntry.topic);
    const arrived = nextValue<void>((deliver) => subscriber.subscribe(SystemTopics.logEntry, (m) => m.payload.message === 'after restart' && deliver()));
    await publisher.publish(SystemTopics.logEntry, { message: 'after restart' });
    await arrived;
    expect(publisher.state).toBe('ready');
    expect(messages).toContain('after restart');
  });

  it('holds envelopes published before connect() and delivers them once the client is ready', async () => {
    const subscriber = await bus.connected('gateway');
    const early = nextValue<string>((deliver) => subscriber.subscribe(SystemTopics.logEntry, (m) => deliver(m.payload.message)));
    const publisher = bus.client('monitor');
    const sent = publisher.publish(SystemTopics.logEntry, { message: 'published before connect' });
    await publisher.connect();
    await sent;
    expect(await early).toBe('published before connect');
  });

  it('rejects a request that cannot be sent at once, leaving nothing pending', async () => {
    const requester = await bus.connected('gateway', { maxEnvelopeBytes: 2_048 });
    await expect(requester.request(EchoRequest, { data: new Uint8Array(4_096) }, { timeoutMs: 100 })).rejects.toMatchObject({
      code: BusErrorCode.PayloadTooLarge,
    });
    expect(requester.stats.pendingRequests).toBe(0);
    // A deadline that cannot be kept is a programming error, refused at once like an unknown topic.
    expect(() => requester.request(EchoRequest, {}, { timeoutMs: Number.POSITIVE_INFINITY })).toThrow(
      expect.objectContaining({ code: BusErrorCode.InvalidRequest }),
    );
  });

  it('fails connect() with CLOSED when close() is called while it is still connecting', async () => {
    await bus.stopProxy();
    const client = bus.client('gateway');
    let announcedReady = false;
    client.on('ready', () => (announcedReady = true));
    const connecting = client.connect();
    await client.close();
    await expect(connecting).rejects.toMatchObject({ code: BusErrorCode.Closed });
    expect(client.state).toBe('closed');
    expect(announcedReady).toBe(false);
  });

  it('delivers envelopes held during an outage when the bus returns while close() is draining', async () => {
    const publisher = await bus.connected('monitor');
    const down = nextValue<void>((deliver) => publisher.once('disconnected', deliver));
    await bus.stopProxy();
    await down;
    const held = publisher.publish(SystemTopics.logEntry, { message: 'held' });
    const closing = publisher.close({ drainTimeoutMs: 10_000 });
    await bus.start();
    await held;
    await closing;
    expect(publisher.state).toBe('closed');
  });

  it('never shows its CURVE secret key in a log line or an inspection', async () => {
    const client = await bus.connected('gateway');
    const secret = bus.keys.curveKeyPair('gateway').secretKey;
    client.logLines.length = 0;
    const { logger, lines } = captureLogger('test');
    logger.info({ client, nested: { deeper: { client } } }, 'a careless log call');
    expect(JSON.stringify(lines)).not.toContain(secret);
    expect(inspect(client, { depth: 10, showHidden: true })).not.toContain(secret);
    expect(JSON.stringify(lines[0]!['client'])).toContain('gateway');
  });

  it('fails connect() with AUTH_REJECTED when its key does not come from the bus master key', async () => {
    const stranger = new TestBus({ transport, registry });
    const client = bus.client('gateway', { curve: { ...stranger.keys.curveKeyPair('gateway'), serverPublicKey: bus.keys.curveKeyPair('bus').publicKey } });
    await expect(client.connect()).rejects.toMatchObject({ code: BusErrorCode.AuthRejected });
    expect(client.state).toBe('closed');
    expect(bus.proxyLog.lines.some((line) => line.msg === 'Bus client refused' && line['reason'] === 'UNKNOWN_CURVE_KEY')).toBe(true);
  });
});

/**
 * Resolves once an envelope that `publisher` publishes on `topic` reaches `subscriber`, i.e. the subscriber's
 * subscription has propagated through the proxy to the publisher (ZeroMQ's slow-joiner window). A readiness
 * handshake, not a sleep: it retries until the signal arrives.
 */
async function waitForSubscription(publisher: TestClient, subscriber: TestClient, topic: string = SystemTopics.logEntry.topic): Promise<void> {
  const definition = registry.get(topic)!;
  if (definition.kind === 'request') {
    await requestWhenRoutable((timeoutMs) => publisher.request(EchoRequest, {}, { timeoutMs }));
    return;
  }
  const probeId = `probe-${Math.random()}`;
  let seen = false;
  const unsubscribe = subscriber.subscribePrefix(topic, (message: IncomingMessage) => {
    if (message.envelope.attributes['probe'] === probeId) seen = true;
  });
  try {
    // Until the signal, with a deadline (not a count of attempts, which a slow machine would use up sooner).
    const deadline = Date.now() + 60_000;
    while (!seen) {
      if (Date.now() > deadline) throw new Error(`The subscription to ${topic} did not become routable within 60 s`);
      await publisher.publish(topic, create(definition.payload), { attributes: { probe: probeId } });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    unsubscribe();
  }
}
