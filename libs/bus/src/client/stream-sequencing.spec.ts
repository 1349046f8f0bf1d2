// What a requester does with the messages of a stream that do not come as they should: duplicates, gaps, a final
// reply that counts more deltas than arrived, a second responder instance, a forged cancel from another instance.
// Over the real proxy, a hand-driven publisher with the responder's identity and instance id sends them; the
// rarer cases are fed to PendingStreams directly.
import { create, type DescMessage, type Message, type MessageInitShape } from '@bufbuild/protobuf';
import { anyPack } from '@bufbuild/protobuf/wkt';
import { Publisher } from 'zeromq';
import {
  defaultTopicRegistry,
  defineRequest,
  EnvelopeSchema,
  HeartbeatSchema,
  LogEntrySchema,
  PingRequestSchema,
  PingResponseSchema,
  type Envelope,
  type LogEntry,
} from '@aico/contracts';
import { BusErrorCode } from '../bus.error';
import { nextValue, requestWhenRoutable, TEST_TRANSPORTS, TestBus, type TestClient } from '../testing/bus-harness';
import type { DropReason } from './drop-counter';
import { EnvelopeCodec, type OutgoingEnvelope } from './envelope-codec';
import { PendingStreams } from './pending-streams';
import { StreamAttribute, type StreamControl } from './stream-protocol';

const Tokens = defineRequest({
  topic: 'test.tokens.generate',
  payload: PingRequestSchema,
  response: PingResponseSchema,
  stream: LogEntrySchema,
  publishers: 'any',
  responders: ['storage'],
  contractVersion: 1,
  description: 'Streamed test request answered by the storage identity.',
});
const Marker = defineRequest({
  topic: 'test.marker.request',
  payload: PingRequestSchema,
  response: PingResponseSchema,
  publishers: 'any',
  responders: ['storage'],
  contractVersion: 1,
  description: 'Unary test request: its arrival proves what the same publisher sent before it arrived too.',
});
const registry = defaultTopicRegistry.with([Tokens, Marker]);
const RESPONDER_INSTANCE = '0193aaaa-0000-7000-8000-000000000001';

describe.each(TEST_TRANSPORTS)('Stream sequencing over %s', (transport) => {
  let bus: TestBus;
  let raw: Publisher | undefined;

  beforeEach(async () => {
    bus = await new TestBus({ transport, registry }).start();
  });
  afterEach(async () => {
    raw?.close();
    raw = undefined;
    await bus.stop();
  });

  /** A publisher driven by hand with `identity`'s key, writing envelopes as instance `instanceId` of it. */
  function rawPublisher(identity: string, instanceId: string): (out: OutgoingEnvelope) => Promise<void> {
    const keys = bus.keys.curveKeyPair(identity);
    raw = new Publisher({ curveServerKey: bus.keys.curveKeyPair('bus').publicKey, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey, linger: 0 });
    raw.connect(bus.publishEndpoint);
    const codec = new EnvelopeCodec(identity, instanceId);
    const publisher = raw;
    return (out) => publisher.send(codec.encode(out));
  }

  /**
   * A storage responder (instance RESPONDER_INSTANCE) that hands each streamed request to the test and holds it
   * until its signal aborts, and a gateway requester with an open stream to it.
   */
  async function openStream(options: { idleTimeoutMs?: number } = {}) {
    const responder = await bus.connected('storage', { instanceId: RESPONDER_INSTANCE });
    let opened!: (value: { replyTo: string; correlationId: string; signal: AbortSignal; send: (text: string) => Promise<boolean> }) => void;
    const request = new Promise<{ replyTo: string; correlationId: string; signal: AbortSignal; send: (text: string) => Promise<boolean> }>(
      (resolve) => (opened = resolve),
    );
    responder.handleStream(Tokens, async (incoming, stream) => {
      if (incoming.payload.sequence === 0n) return {};
      opened({ replyTo: incoming.replyTo, correlationId: incoming.correlationId, signal: stream.signal, send: (message) => stream.send({ message }) });
      await new Promise<void>((resolve) => stream.signal.addEventListener('abort', () => resolve(), { once: true }));
      return { sequence: BigInt(stream.sent) };
    });
    const requester = await bus.connected('gateway');
    await requestWhenRoutable((timeoutMs) => requester.requestStream(Tokens, { sequence: 0n }, { timeoutMs, idleTimeoutMs: 1_000_000 }));
    const texts: string[] = [];
    const call = requester.requestStream(Tokens, { sequence: 1n }, { ...options, onDelta: (delta) => void texts.push(delta.message) });
    call.catch(() => undefined);
    return { responder, requester, call, texts, stream: await request };
  }

  /** Resends `probe()` until the requester has counted one more late reply: the raw publisher's messages get through. */
  async function untilRoutable(requester: TestClient, probe: () => Promise<void>): Promise<void> {
    const before = requester.stats.droppedByReason['late_reply'] ?? 0;
    await nextValue<void>(
      (deliver) => {
        const timer = setInterval(() => ((requester.stats.droppedByReason['late_reply'] ?? 0) > before ? (clearInterval(timer), deliver()) : void probe()), 10);
      },
      60_000,
      'a routable raw publisher',
    );
  }

  function delta(replyTo: string, correlationId: string, sequence: number, message: string): OutgoingEnvelope {
    return {
      topic: replyTo,
      correlationId,
      schema: LogEntrySchema,
      payload: create(LogEntrySchema, { message }),
      attributes: { [StreamAttribute.sequence]: String(sequence) },
    };
  }

  it('drops a duplicate delta, fails on a skipped one with STREAM_GAP, and tells the responder to stop', async () => {
    const { requester, call, texts, stream } = await openStream();
    const send = rawPublisher('storage', RESPONDER_INSTANCE);
    await untilRoutable(requester, () => send({ topic: stream.replyTo, correlationId: 'nobody-waits-for-this' }));

    await send(delta(stream.replyTo, stream.correlationId, 1, 'a'));
    await send(delta(stream.replyTo, stream.correlationId, 1, 'a again'));
    await send(delta(stream.replyTo, stream.correlationId, 2, 'b'));
    await send(delta(stream.replyTo, stream.correlationId, 4, 'd'));

    await expect(call).rejects.toMatchObject({ code: BusErrorCode.StreamGap, message: expect.stringContaining('expected delta 3, got 4') });
    expect(texts).toEqual(['a', 'b']);
    expect(requester.stats.droppedByReason['stream_duplicate']).toBe(1);
    await new Promise<void>((resolve) => (stream.signal.aborted ? resolve() : stream.signal.addEventListener('abort', () => resolve())));
    expect(stream.signal.reason).toMatchObject({ code: BusErrorCode.Cancelled });
  });

  it('fails with STREAM_GAP when the final reply counts more deltas than arrived', async () => {
    const { requester, call, texts, stream } = await openStream();
    const send = rawPublisher('storage', RESPONDER_INSTANCE);
    await untilRoutable(requester, () => send({ topic: stream.replyTo, correlationId: 'nobody-waits-for-this' }));

    await send(delta(stream.replyTo, stream.correlationId, 1, 'a'));
    await send({
      topic: stream.replyTo,
      correlationId: stream.correlationId,
      schema: PingResponseSchema,
      payload: create(PingResponseSchema),
      attributes: { [StreamAttribute.count]: '2' },
    });

    await expect(call).rejects.toMatchObject({ code: BusErrorCode.StreamGap, message: expect.stringContaining('the final reply counts 2 deltas, 1 arrived') });
    expect(texts).toEqual(['a']);
  });

  it('ignores a second responder instance and a cancel forged by another instance of the requester', async () => {
    const { responder, requester, call, texts, stream } = await openStream();
    let marked!: () => void;
    const markerArrived = new Promise<void>((resolve) => (marked = resolve));
    responder.handle(Marker, () => (marked(), {}));
    // Another gateway process: same identity, another instance id.
    const forge = rawPublisher('gateway', '0193bbbb-0000-7000-8000-000000000002');
    const forgedCancel: OutgoingEnvelope = { topic: Tokens.topic, correlationId: stream.correlationId, attributes: { [StreamAttribute.control]: 'cancel' } };
    const marker: OutgoingEnvelope = {
      topic: Marker.topic,
      schema: PingRequestSchema,
      payload: create(PingRequestSchema),
      correlationId: 'marker',
      replyTo: 'reply.nobody',
    };
    // One publisher's envelopes arrive in order: once the marker is handled, a forged cancel sent before it was too.
    const resend = setInterval(() => void forge(forgedCancel).then(() => forge(marker)), 10);
    await markerArrived;
    clearInterval(resend);
    expect(stream.signal.aborted).toBe(false);
    raw?.close();

    const impostor = rawPublisher('storage', '0193cccc-0000-7000-8000-000000000003');
    await untilRoutable(requester, () => impostor({ topic: stream.replyTo, correlationId: 'nobody-waits-for-this' }));
    const foreignBefore = requester.stats.droppedByReason['stream_foreign'] ?? 0;
    const impostorDelta = setInterval(() => void impostor(delta(stream.replyTo, stream.correlationId, 1, 'from the impostor')), 10);
    await nextValue<void>((deliver) => {
      const timer = setInterval(
        () => ((requester.stats.droppedByReason['stream_foreign'] ?? 0) > foreignBefore ? (clearInterval(timer), deliver()) : undefined),
        10,
      );
    });
    clearInterval(impostorDelta);

    // The stream is still the real responder's: its next delta is delivered.
    await stream.send('from the responder');
    await nextValue<void>((deliver) => {
      const timer = setInterval(() => (texts.length > 0 ? (clearInterval(timer), deliver()) : undefined), 10);
    });
    expect(texts).toEqual(['from the responder']);
    expect(requester.stats.pendingRequests).toBe(1);
    void call;
  });
});

describe('PendingStreams', () => {
  const controls: StreamControl[] = [];
  const drops: DropReason[] = [];
  let streams: PendingStreams;

  beforeEach(() => {
    controls.length = 0;
    drops.length = 0;
    streams = new PendingStreams((reason) => void drops.push(reason));
  });
  afterEach(() => streams.failAll(new Error('test over'), false));

  function track(options: { onDelta?: (delta: Message, sequence: number) => unknown; stopSignal?: AbortSignal } = {}): Promise<Message> {
    const call = streams.track({
      correlationId: 'c1',
      definition: Tokens,
      timeoutMs: 600_000,
      idleTimeoutMs: 600_000,
      control: (kind) => void controls.push(kind),
      ...options,
    });
    call.catch(() => undefined);
    return call;
  }

  function envelope<S extends DescMessage>(
    attributes: Record<string, string>,
    schema?: S,
    payload?: MessageInitShape<S>,
    instanceId = 'responder-1',
  ): Envelope {
    return create(EnvelopeSchema, {
      topic: 'reply.me',
      source: 'storage',
      instanceId,
      correlationId: 'c1',
      attributes,
      ...(schema ? { payload: anyPack(schema, create(schema, payload)) } : {}),
    });
  }
  const deltaEnvelope = (sequence: string, message: string): Envelope => envelope({ [StreamAttribute.sequence]: sequence }, LogEntrySchema, { message });

  it('fails with STREAM_GAP when a keep-alive says more deltas were sent than arrived', async () => {
    const call = track();
    streams.receive(deltaEnvelope('1', 'a'));
    streams.receive(envelope({ [StreamAttribute.control]: 'keepalive', [StreamAttribute.lastSequence]: '1' }));
    expect(streams.size).toBe(1);
    streams.receive(envelope({ [StreamAttribute.control]: 'keepalive', [StreamAttribute.lastSequence]: '2' }));
    await expect(call).rejects.toMatchObject({ code: BusErrorCode.StreamGap, message: expect.stringContaining('the responder has sent 2 deltas, 1 arrived') });
    expect(controls).toEqual(['cancel']);
  });

  it('fails on a delta without a valid sequence number or of the wrong type', async () => {
    const badSequence = track();
    streams.receive(deltaEnvelope('-1', 'a'));
    await expect(badSequence).rejects.toMatchObject({ code: BusErrorCode.StreamGap, message: expect.stringContaining('no valid sequence number ("-1")') });

    const wrongType = track();
    streams.receive(envelope({ [StreamAttribute.sequence]: '1' }, HeartbeatSchema, { service: 'x' }));
    await expect(wrongType).rejects.toMatchObject({ code: BusErrorCode.WrongPayloadType, message: expect.stringContaining('not aico.system.v1.LogEntry') });
  });

  it('delivers in order, drops duplicates and another instance`s messages, and resolves with the final reply', async () => {
    const seen: [string, number][] = [];
    const call = track({ onDelta: (delta, sequence) => void seen.push([(delta as LogEntry).message, sequence]) });
    streams.receive(deltaEnvelope('1', 'a'));
    streams.receive(deltaEnvelope('1', 'a twice'));
    streams.receive(envelope({ [StreamAttribute.sequence]: '2' }, LogEntrySchema, { message: 'foreign' }, 'responder-2'));
    streams.receive(deltaEnvelope('2', 'b'));
    streams.receive(envelope({ [StreamAttribute.count]: '2' }, PingResponseSchema, { service: 'storage' }));
    await expect(call).resolves.toMatchObject({ service: 'storage' });
    expect(seen).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(drops).toEqual(['stream_duplicate', 'stream_foreign']);
    expect(controls).toEqual([]);
  });

  it('fails with what an async onDelta rejects with', async () => {
    const failure = new Error('could not store the delta');
    const call = track({ onDelta: () => Promise.reject(failure) });
    streams.receive(deltaEnvelope('1', 'a'));
    await expect(call).rejects.toBe(failure);
    expect(controls).toEqual(['cancel']);
  });

  it('sends a stop asked before the request went out only after it, and keeps waiting for the final reply', async () => {
    const call = track({ stopSignal: AbortSignal.abort() });
    expect(controls).toEqual([]);
    streams.requestSent('c1');
    expect(controls).toEqual(['cancel']);
    streams.receive(envelope({ [StreamAttribute.count]: '0' }, PingResponseSchema, { service: 'stopped' }));
    await expect(call).resolves.toMatchObject({ service: 'stopped' });
  });
});
