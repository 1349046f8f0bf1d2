// A requester that follows the supervisor (`followSupervisor`) learns that the process answering its stream crashed
// from the supervisor's report (`system.supervisor.app_changed`, state backoff or failed), at once and with
// RESPONDER_GONE, instead of after its idle timeout (STREAM_STALLED). Over a real CURVE proxy; the idle timeouts here
// are far longer than the tests, so only the report can end the streams.
import { create } from '@bufbuild/protobuf';
import {
  defaultTopicRegistry,
  defineRequest,
  LogEntrySchema,
  PingRequestSchema,
  PingResponseSchema,
  SupervisedAppSchema,
  SupervisedAppState,
  SupervisorTopics,
} from '@aico/contracts';
import { BusErrorCode } from '../bus.error';
import { nextValue, requestWhenRoutable, TestBus, type TestClient } from '../testing/bus-harness';

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
const registry = defaultTopicRegistry.with([Tokens]);
const LONG_MS = 600_000;

describe('streams whose responder crashed, as the supervisor reports it', () => {
  let bus: TestBus;
  let supervisor: TestClient;

  beforeEach(async () => {
    bus = await new TestBus({ transport: 'ipc', registry }).start();
    supervisor = await bus.connected('supervisor');
  });
  afterEach(() => bus.stop());

  /** A storage responder that sends one delta and then waits to be stopped; `requester` follows the supervisor or not. */
  async function serve(followSupervisor: boolean, beforeConnect: (requester: TestClient) => void = () => undefined): Promise<TestClient> {
    const responder = await bus.connected('storage');
    responder.handleStream(Tokens, async (request, stream) => {
      if (request.payload.sequence === 0n) return { service: 'storage' };
      await stream.send({ message: 'alive' });
      await new Promise((resolve) => stream.signal.addEventListener('abort', resolve, { once: true }));
      return {};
    });
    const requester = bus.client('gateway', { followSupervisor });
    beforeConnect(requester);
    await requester.connect();
    await requestWhenRoutable((timeoutMs) => requester.requestStream(Tokens, { sequence: 0n }, { timeoutMs, idleTimeoutMs: LONG_MS }));
    return requester;
  }

  /** A stream that has its first delta, and the call (its rejection handled; wrapped, or awaiting would await it). */
  async function streaming(requester: TestClient): Promise<{ readonly call: Promise<unknown> }> {
    let onFirst: () => void = () => undefined;
    const first = nextValue<void>((deliver) => (onFirst = deliver), 60_000, 'first delta');
    const call = requester.requestStream(Tokens, { sequence: 1n }, { timeoutMs: LONG_MS, idleTimeoutMs: LONG_MS, onDelta: () => onFirst() });
    call.catch(() => undefined);
    await first;
    return { call };
  }

  const report = (name: string, state: SupervisedAppState) =>
    supervisor.publish(SupervisorTopics.appChanged, { app: create(SupervisedAppSchema, { name, state, lastExit: 'signal SIGKILL' }) });

  it('fails a stream with RESPONDER_GONE when the supervisor reports its responder crashed', async () => {
    const requester = await serve(true);
    const { call } = await streaming(requester);
    // Reports that do not concern the stream leave it alone: another app crashed, this one became ready.
    await report('keys', SupervisedAppState.BACKOFF);
    await report('storage', SupervisedAppState.READY);
    await report('storage', SupervisedAppState.BACKOFF);

    await expect(call).rejects.toMatchObject({
      code: BusErrorCode.ResponderGone,
      message: expect.stringContaining('"storage" ended before it finished test.tokens.generate (it ended: signal SIGKILL'),
      details: expect.objectContaining({ source: 'storage', topic: 'test.tokens.generate' }),
    });
    expect(requester.stats.pendingRequests).toBe(0);
  });

  it('fails a stream not answered yet when the only identity that answers its topic crashed', async () => {
    const requester = await bus.connected('gateway', { followSupervisor: true });
    // Nobody answers: the request waits unanswered until the report ends it.
    const call = requester.requestStream(Tokens, { sequence: 1n }, { timeoutMs: LONG_MS, idleTimeoutMs: LONG_MS });
    call.catch(() => undefined);
    await report('storage', SupervisedAppState.FAILED);
    await expect(call).rejects.toMatchObject({ code: BusErrorCode.ResponderGone });
  });

  it('does not follow the supervisor unless asked: abandonStreamsFrom is then the only way', async () => {
    // The requester's own subscription (made before it connects) tells when the report has arrived.
    let onReport: () => void = () => undefined;
    const arrived = nextValue<void>((deliver) => (onReport = deliver), 60_000, 'the report');
    const requester = await serve(false, (client) => client.subscribe(SupervisorTopics.appChanged, () => onReport()));
    const { call } = await streaming(requester);
    await report('storage', SupervisedAppState.BACKOFF);
    await arrived;
    expect(requester.stats.pendingRequests).toBe(1);
    expect(requester.abandonStreamsFrom('keys', 'it ended')).toBe(0);
    expect(requester.abandonStreamsFrom('storage', 'it ended')).toBe(1);
    await expect(call).rejects.toMatchObject({ code: BusErrorCode.ResponderGone });
  });
});
