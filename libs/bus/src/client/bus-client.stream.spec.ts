// Streamed request/reply over a real CURVE proxy, over tcp and ipc: ordered deltas then a final reply, cancel and
// stop, a responder that fails or dies mid-stream (STREAM_STALLED long before the deadline), keep-alives through a
// quiet stretch, a requester that dies, a responder that stops, and what is dropped after the end.
import { setTimeout as delay } from 'node:timers/promises';
import { defaultTopicRegistry, defineRequest, LogEntrySchema, PingRequestSchema, PingResponseSchema, PublicError } from '@aico/contracts';
import { BusErrorCode, RemoteError, type BusError } from '../bus.error';
import { nextValue, requestWhenRoutable, TEST_TRANSPORTS, TestBus, type TestClient } from '../testing/bus-harness';
import type { ResponseStream } from './bus-client.types';
import type { IncomingOf } from './envelope-codec';

/** Deltas are log entries (their `message` is the text), the final reply a ping response. */
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
const Unary = defineRequest({
  topic: 'test.unary.request',
  payload: PingRequestSchema,
  response: PingResponseSchema,
  publishers: 'any',
  responders: ['storage'],
  contractVersion: 1,
  description: 'Unary test request.',
});
const registry = defaultTopicRegistry.with([Tokens, Unary]);

/** Sequence 0 is the routability probe; anything else goes to the test's handler. */
type TokensHandler = (
  request: IncomingOf<typeof PingRequestSchema>,
  stream: ResponseStream<typeof LogEntrySchema>,
) => Promise<{ sequence?: bigint; service?: string; data?: Uint8Array }>;

class TestFailure extends PublicError<'TEST_OUT_OF_TOKENS'> {}

describe.each(TEST_TRANSPORTS)('Streamed requests over %s', (transport) => {
  let bus: TestBus;

  beforeEach(async () => {
    bus = await new TestBus({ transport, registry }).start();
  });
  afterEach(() => bus.stop());

  /** A storage client answering Tokens with `handler`, and a gateway client for which Tokens is routable. */
  async function serve(
    handler: TokensHandler,
    responderOptions: Parameters<TestBus['connected']>[1] = {},
  ): Promise<{ responder: TestClient; requester: TestClient }> {
    const responder = await bus.connected('storage', responderOptions);
    responder.handleStream(Tokens, (request, stream) => (request.payload.sequence === 0n ? { service: 'storage' } : handler(request, stream)));
    const requester = await bus.connected('gateway');
    // Until the responder's subscription is through the proxy the request is lost; an idle timeout longer than the
    // deadline makes a lost attempt DEADLINE_EXCEEDED, which requestWhenRoutable retries.
    await requestWhenRoutable((timeoutMs) => requester.requestStream(Tokens, { sequence: 0n }, { timeoutMs, idleTimeoutMs: 1_000_000 }));
    return { responder, requester };
  }

  function collect(): { texts: string[]; sequences: number[]; onDelta: (delta: { message: string }, sequence: number) => void } {
    const texts: string[] = [];
    const sequences: number[] = [];
    return { texts, sequences, onDelta: (delta, sequence) => void (texts.push(delta.message), sequences.push(sequence)) };
  }

  it('sends the deltas to the requester in order, numbered from 1, then the final reply', async () => {
    const { requester } = await serve(async (request, stream) => {
      for (const word of ['one', 'two', 'three', 'four', 'five']) await stream.send({ message: word });
      return { sequence: BigInt(stream.sent), service: 'storage', data: request.payload.data };
    });
    const deltas = collect();
    const final = await requester.requestStream(Tokens, { sequence: 1n, data: Buffer.from('prompt') }, { onDelta: deltas.onDelta });

    expect(deltas.texts).toEqual(['one', 'two', 'three', 'four', 'five']);
    expect(deltas.sequences).toEqual([1, 2, 3, 4, 5]);
    expect(final).toMatchObject({ $typeName: 'aico.system.v1.PingResponse', sequence: 5n, service: 'storage' });
    expect(Buffer.from(final.data).toString()).toBe('prompt');
    expect(requester.stats.pendingRequests).toBe(0);
  });

  it('delivers 1,000 deltas sent without waiting, all in order', async () => {
    const total = 1_000;
    const { requester } = await serve(async (_request, stream) => {
      for (let i = 1; i <= total; i++) void stream.send({ message: String(i) });
      return { sequence: BigInt(stream.sent) };
    });
    const deltas = collect();
    const final = await requester.requestStream(Tokens, { sequence: 1n }, { onDelta: deltas.onDelta });

    expect(final.sequence).toBe(BigInt(total));
    expect(deltas.texts).toEqual(Array.from({ length: total }, (_, i) => String(i + 1)));
    expect(deltas.sequences).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(requester.stats.droppedByReason['stream_duplicate']).toBeUndefined();
  });

  it('cancels: the call rejects with CANCELLED at once, the responder`s signal aborts, its later deltas are dropped', async () => {
    let handlerSaw!: (outcome: { reason: unknown; lateDeltaSent: boolean }) => void;
    const seen = new Promise<{ reason: unknown; lateDeltaSent: boolean }>((resolve) => (handlerSaw = resolve));
    const { responder, requester } = await serve(async (_request, stream) => {
      await stream.send({ message: 'first' });
      await abortOf(stream.signal);
      handlerSaw({ reason: stream.signal.reason, lateDeltaSent: await stream.send({ message: 'after the cancel' }) });
      return { sequence: BigInt(stream.sent) };
    });
    const abort = new AbortController();
    const deltas = collect();
    const call = requester.requestStream(
      Tokens,
      { sequence: 1n },
      { signal: abort.signal, onDelta: (delta, sequence) => (deltas.onDelta(delta, sequence), abort.abort()) },
    );

    await expect(call).rejects.toMatchObject({ code: BusErrorCode.Cancelled, name: 'BusError' });
    expect(deltas.texts).toEqual(['first']);
    const { reason, lateDeltaSent } = await seen;
    expect(reason).toMatchObject({ code: BusErrorCode.Cancelled, message: expect.stringContaining('"gateway" cancelled test.tokens.generate') });
    expect(lateDeltaSent).toBe(false);
    expect(responder.stats.droppedByReason['stream_after_end']).toBe(1);
    expect(requester.stats.pendingRequests).toBe(0);
  });

  it('stops: the responder winds down and the call still resolves with its final reply', async () => {
    const { requester } = await serve(async (_request, stream) => {
      await stream.send({ message: 'partial' });
      await abortOf(stream.signal);
      return { sequence: BigInt(stream.sent), data: Buffer.from(`stopped: ${(stream.signal.reason as BusError).code}`) };
    });
    const stop = new AbortController();
    const deltas = collect();
    const final = await requester.requestStream(
      Tokens,
      { sequence: 1n },
      { stopSignal: stop.signal, onDelta: (delta, sequence) => (deltas.onDelta(delta, sequence), stop.abort()) },
    );

    expect(deltas.texts).toEqual(['partial']);
    expect(final.sequence).toBe(1n);
    expect(Buffer.from(final.data).toString()).toBe('stopped: CANCELLED');
  });

  it('turns a handler that throws mid-stream into its typed error, after the deltas it sent', async () => {
    const { requester } = await serve(async (_request, stream) => {
      for (const word of ['a', 'b', 'c']) await stream.send({ message: word });
      throw new TestFailure('TEST_OUT_OF_TOKENS', 'The test responder ran out of tokens after three.');
    });
    const deltas = collect();
    const failure = await requester.requestStream(Tokens, { sequence: 1n }, { onDelta: deltas.onDelta }).catch((error: unknown) => error);

    expect(deltas.texts).toEqual(['a', 'b', 'c']);
    expect(failure).toBeInstanceOf(RemoteError);
    expect(failure).toMatchObject({ code: 'TEST_OUT_OF_TOKENS', message: 'The test responder ran out of tokens after three.', source: 'storage' });
  });

  it('fails with STREAM_STALLED within the idle timeout when the responder dies mid-stream, long before the deadline', async () => {
    const { responder, requester } = await serve(async (_request, stream) => {
      await stream.send({ message: 'alive' });
      await abortOf(stream.signal);
      return {};
    });
    let onFirst: () => void = () => undefined;
    const firstDelta = nextValue<void>((deliver) => (onFirst = deliver), 60_000, 'first delta');
    // A deadline of 10 minutes: if the stall were noticed only there, this test would time out instead.
    const call = requester.requestStream(Tokens, { sequence: 1n }, { timeoutMs: 600_000, idleTimeoutMs: 2_000, onDelta: () => onFirst() });
    call.catch(() => undefined);
    await firstDelta;
    // Closing without a drain sends nothing more: to the requester it looks like kill -9.
    await responder.close({ drainTimeoutMs: 0 });

    await expect(call).rejects.toMatchObject({
      code: BusErrorCode.StreamStalled,
      message: expect.stringContaining('"storage" stopped answering test.tokens.generate: no message for 2000 ms'),
      details: expect.objectContaining({ source: 'storage', idleTimeoutMs: '2000' }),
    });
  });

  it('says nobody answers when no responder runs, at the idle timeout rather than the deadline', async () => {
    const requester = await bus.connected('gateway');
    await expect(requester.requestStream(Tokens, { sequence: 1n }, { timeoutMs: 600_000, idleTimeoutMs: 500 })).rejects.toMatchObject({
      code: BusErrorCode.StreamStalled,
      message: expect.stringContaining('Nobody answered test.tokens.generate within 500 ms'),
    });
  });

  it('keeps a quiet stream alive past the idle timeout with keep-alives', async () => {
    const idleTimeoutMs = 1_500;
    const { requester } = await serve(async (_request, stream) => {
      // Silent for three idle timeouts (as a generation queued for admission is): only keep-alives go out.
      await delay(3 * idleTimeoutMs);
      await stream.send({ message: 'finally' });
      return { sequence: BigInt(stream.sent) };
    });
    const deltas = collect();
    const final = await requester.requestStream(Tokens, { sequence: 1n }, { idleTimeoutMs, onDelta: deltas.onDelta });
    expect(deltas.texts).toEqual(['finally']);
    expect(final.sequence).toBe(1n);
  });

  it('aborts the responder`s signal with REQUESTER_GONE when the requester dies mid-stream', async () => {
    let reasonSeen!: (reason: unknown) => void;
    const gone = new Promise<unknown>((resolve) => (reasonSeen = resolve));
    const { requester } = await serve(async (_request, stream) => {
      await stream.send({ message: 'are you there?' });
      await abortOf(stream.signal);
      reasonSeen(stream.signal.reason);
      return {};
    });
    const firstDelta = nextValue<void>((deliver) =>
      requester.requestStream(Tokens, { sequence: 1n }, { idleTimeoutMs: 1_000, onDelta: () => deliver() }).catch(() => undefined),
    );
    await firstDelta;
    await requester.close({ drainTimeoutMs: 0 });

    expect(await gone).toMatchObject({
      code: BusErrorCode.RequesterGone,
      message: expect.stringContaining('"gateway" stopped listening to test.tokens.generate'),
    });
  });

  it('ends the call at its deadline and aborts the responder`s signal with DEADLINE_EXCEEDED', async () => {
    let reasonSeen!: (reason: unknown) => void;
    const expired = new Promise<unknown>((resolve) => (reasonSeen = resolve));
    const { requester } = await serve(async (_request, stream) => {
      await abortOf(stream.signal);
      reasonSeen(stream.signal.reason);
      return {};
    });
    await expect(requester.requestStream(Tokens, { sequence: 1n }, { timeoutMs: 1_000, idleTimeoutMs: 600_000 })).rejects.toMatchObject({
      code: BusErrorCode.DeadlineExceeded,
    });
    expect(await expired).toMatchObject({ code: BusErrorCode.DeadlineExceeded });
  });

  it('answers the streams of a stopping responder: stopIntake winds them down, close() ends the rest with CLOSED', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const started = { windDown: false, stubborn: false };
    let bothStarted!: () => void;
    const running = new Promise<void>((resolve) => (bothStarted = resolve));
    const { responder, requester } = await serve(async (request, stream) => {
      if (request.payload.sequence === 1n) started.windDown = true;
      else started.stubborn = true;
      if (started.windDown && started.stubborn) bothStarted();
      await stream.send({ message: 'working' });
      if (request.payload.sequence === 1n) {
        await abortOf(stream.signal);
        return { sequence: BigInt(stream.sent), data: Buffer.from((stream.signal.reason as BusError).message) };
      }
      await held; // ignores its signal: close() must answer for it
      return {};
    });
    const windDown = requester.requestStream(Tokens, { sequence: 1n });
    const stubborn = requester.requestStream(Tokens, { sequence: 2n }).catch((error: unknown) => error);
    await running;

    responder.stopIntake();
    const final = await windDown;
    expect(Buffer.from(final.data).toString()).toBe('The storage service is stopping.');
    await responder.close();
    release();
    expect(await stubborn).toMatchObject({
      code: BusErrorCode.Closed,
      source: 'storage',
      message: 'The storage service is stopping; try again when it is back.',
    });
  });

  it('drops and counts a delta sent after the final reply', async () => {
    let captured: ResponseStream<typeof LogEntrySchema> | undefined;
    const { responder, requester } = await serve(async (_request, stream) => {
      captured = stream;
      await stream.send({ message: 'only' });
      return { sequence: 1n };
    });
    await requester.requestStream(Tokens, { sequence: 1n });
    expect(await captured!.send({ message: 'late' })).toBe(false);
    expect(responder.stats.droppedByReason['stream_after_end']).toBe(1);
    expect(captured!.sent).toBe(1);
  });

  it('refuses a delta larger than maxEnvelopeBytes at send, and the stream goes on without a gap', async () => {
    const { requester } = await serve(
      async (request, stream) => {
        if (request.payload.sequence === 2n) return { data: new Uint8Array(8_192) };
        const refusal = await stream.send({ message: 'x'.repeat(8_192) }).catch((error: unknown) => error);
        await stream.send({ message: `after ${(refusal as BusError).code}: ${(refusal as BusError).message}` });
        return { sequence: BigInt(stream.sent) };
      },
      { maxEnvelopeBytes: 4_096 },
    );
    const deltas = collect();
    const final = await requester.requestStream(Tokens, { sequence: 1n }, { onDelta: deltas.onDelta });
    expect(final.sequence).toBe(1n);
    expect(deltas.sequences).toEqual([1]);
    expect(deltas.texts[0]).toMatch(
      /^after PAYLOAD_TOO_LARGE: Delta 1 of test\.tokens\.generate was not sent: .* the limit is 4096\. Send it in smaller deltas\.$/,
    );
    // A final reply too large to send becomes the typed error reply, as for a unary request.
    await expect(requester.requestStream(Tokens, { sequence: 2n })).rejects.toMatchObject({ code: BusErrorCode.PayloadTooLarge, source: 'storage' });
  });

  it('fails the call with what onDelta throws, and tells the responder to stop', async () => {
    let reasonSeen!: (reason: unknown) => void;
    const stopped = new Promise<unknown>((resolve) => (reasonSeen = resolve));
    const { requester } = await serve(async (_request, stream) => {
      await stream.send({ message: 'unwelcome' });
      await abortOf(stream.signal);
      reasonSeen(stream.signal.reason);
      return {};
    });
    const consumerError = new Error('the consumer could not take it');
    await expect(
      requester.requestStream(
        Tokens,
        { sequence: 1n },
        {
          onDelta: () => {
            throw consumerError;
          },
        },
      ),
    ).rejects.toBe(consumerError);
    expect(await stopped).toMatchObject({ code: BusErrorCode.Cancelled });
  });

  it('lets request() and handle() work on a streamed topic (final reply only, keep-alives for free)', async () => {
    const responder = await bus.connected('storage');
    responder.handle(Tokens, async (request) => {
      if (request.payload.sequence === 2n) await delay(1_500); // longer than the idle timeout below: beats keep it alive
      return { sequence: request.payload.sequence + 1n };
    });
    const requester = await bus.connected('gateway', { streamIdleTimeoutMs: 500 });
    await requestWhenRoutable((timeoutMs) => requester.requestStream(Tokens, { sequence: 0n }, { timeoutMs, idleTimeoutMs: 1_000_000 }));
    const reply = await requester.request(Tokens, { sequence: 2n }, { idempotencyKey: 'not for streams' });
    expect(reply.sequence).toBe(3n);
  });

  it('refuses handleStream() and requestStream() on a unary topic, and bad idle timeouts', async () => {
    const client = await bus.connected('storage');
    const unaryAsStream = Unary as unknown as typeof Tokens;
    expect(() => client.handleStream(unaryAsStream, async () => ({}))).toThrow(
      expect.objectContaining({ code: BusErrorCode.NotAStreamTopic, message: expect.stringContaining('test.unary.request') }),
    );
    expect(() => client.requestStream(unaryAsStream, {})).toThrow(expect.objectContaining({ code: BusErrorCode.NotAStreamTopic }));
    expect(() => client.requestStream(Tokens, {}, { idleTimeoutMs: 10 })).toThrow(
      expect.objectContaining({ code: BusErrorCode.InvalidRequest, message: expect.stringContaining('from 100') }),
    );
    expect(() => client.handleStream(Tokens, async () => ({}))).not.toThrow();
    const aborted = AbortSignal.abort();
    await expect(client.requestStream(Tokens, {}, { signal: aborted })).rejects.toMatchObject({ code: BusErrorCode.Cancelled });
    expect(client.stats.pendingRequests).toBe(0);
  });
});

/** Resolves when `signal` aborts (at once if it already has). */
function abortOf(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}
