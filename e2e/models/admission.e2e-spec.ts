// Every generation under the monitor's word, with real processes (bus, storage, monitor, models) and the real engine
// on a generated model: while the monitor judges resources critical a generation waits (and says so) and starts when
// they recover; a generation waiting when the monitor restarts is submitted again and runs; a background generation
// asked to pause stops at its next token and resumes to the full predicted text; the model leaves memory after its
// keep-alive and when resources turn critical, and loads again on demand. The monitor reads the machine from a
// recorded sample (monitor.samplesFile) that the test rewrites: 3 % of the memory available is critical under its
// default policy, 60 % is normal. The user activity the gateway reports holds background work.
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ActivityKind, JobClass, ModelsErrorCode, ModelsTopics, MonitorTopics, StopReason, type GenerateDelta } from '@aico/contracts';
import { ModelsStack, MODELS_TEST_ENV, predictContinuation, textOf, type Generated } from './models-stack';
import { BusObserver, modelsHeard, RecordedMachine, restartMonitor, statusUntil } from './admission-support';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

// Process starts and restarts, each a signal away; generations of a few hundred tokens on one thread.
jest.setTimeout(10 * SIGNAL_TIMEOUT_MS);

const MODEL = 'tiny';
const PROMPT = 'abc';

const waitingOf = (deltas: readonly GenerateDelta[]) => deltas.flatMap((delta) => (delta.kind.case === 'waiting' ? [delta.kind.value] : []));

/** Resolves with the first delta that matches (the onDelta hook of a generation feeds it); rejects after the e2e deadline. */
function deltaWatch(): {
  onDelta: (delta: GenerateDelta) => void;
  next: (what: string, predicate: (delta: GenerateDelta) => boolean) => Promise<GenerateDelta>;
} {
  const seen: GenerateDelta[] = [];
  let waiters: { predicate: (delta: GenerateDelta) => boolean; resolve: (delta: GenerateDelta) => void }[] = [];
  return {
    onDelta: (delta) => {
      seen.push(delta);
      waiters = waiters.filter((waiter) => (waiter.predicate(delta) ? (waiter.resolve(delta), false) : true));
    },
    next: (what, predicate) => {
      const found = seen.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${what} delta within ${SIGNAL_TIMEOUT_MS} ms; deltas: ${JSON.stringify(seen.map((delta) => delta.kind))}`)),
          SIGNAL_TIMEOUT_MS,
        );
        waiters.push({
          predicate,
          resolve: (delta) => {
            clearTimeout(timer);
            resolve(delta);
          },
        });
      });
    },
  };
}

const waitingAt = (stage: string) => (delta: GenerateDelta) => delta.kind.case === 'waiting' && delta.kind.value.stage === stage;

describe('generations admitted by the monitor', () => {
  let stack: ModelsStack;
  let observer: BusObserver;
  let machine: RecordedMachine;
  /** Makes the recorded machine critical or normal; resolves once the models service heard it. */
  const turn = async (state: 'critical' | 'recovered') => {
    const since = stack.process('models').lines.length;
    await (state === 'critical' ? machine.critical() : machine.normal());
    await modelsHeard(stack, state, since);
  };

  const generate = (maxTokens: number, extra: { jobClass?: JobClass; onDelta?: (delta: GenerateDelta) => void } = {}): Promise<Generated> =>
    stack.generate(
      { input: { case: 'prompt', value: PROMPT }, model: MODEL, maxTokens, temperature: 0, ...(extra.jobClass ? { jobClass: extra.jobClass } : {}) },
      extra.onDelta ? { onDelta: extra.onDelta } : {},
    );

  beforeAll(async () => {
    // The machine starts critical: the first test begins there.
    machine = await RecordedMachine.create();
    await machine.critical();
    stack = await ModelsStack.start({ monitorEnv: machine.monitorEnv, modelsEnv: { AICO_MODELS__MAX_CONTEXT_SIZE: '4096' } });
    observer = await BusObserver.start(stack);
    await stack.addModel(MODEL, { context: 4096 });
  }, 6 * SIGNAL_TIMEOUT_MS);
  afterAll(async () => {
    await observer?.close();
    await stack?.stop();
    await machine?.remove();
  });

  it('holds a generation while the monitor reads resources as critical, and runs it to the predicted text once they recover', async () => {
    await modelsHeard(stack, 'critical');
    const interactive = deltaWatch();
    const background = deltaWatch();
    const first = generate(24, { onDelta: interactive.onDelta });
    const second = generate(16, { jobClass: JobClass.LLM, onDelta: background.onDelta });
    // The requester hears why it waits: the interactive one is admitted by the monitor and waits for the model
    // (resources critical), the llm one is held by the monitor itself.
    const held = await interactive.next('waiting (admission)', waitingAt('admission'));
    expect(held.kind.value).toMatchObject({ reason: expect.stringContaining('resources are critical') });
    const paused = await background.next('waiting (paused)', waitingAt('paused'));
    expect(paused.kind.value).toMatchObject({ reason: expect.stringContaining('critical') });
    const waiting = await statusUntil(stack, 'two waiting generations', (status) => status.waiting === 2);
    expect(waiting).toMatchObject({ loaded: [], running: 0 });

    await turn('recovered');
    const [one, two] = await Promise.all([first, second]);
    expect(one.result).toMatchObject({ text: await predictContinuation(PROMPT, 24), stopReason: StopReason.MAX_TOKENS });
    expect(one.streamed).toBe(one.result.text);
    expect(two.result).toMatchObject({ text: await predictContinuation(PROMPT, 16), stopReason: StopReason.MAX_TOKENS });
    // Waiting came before any text, and the text came in order.
    for (const { deltas } of [one, two]) {
      const firstText = deltas.findIndex((delta) => delta.kind.case === 'text');
      expect(waitingOf(deltas.slice(0, firstText)).length).toBeGreaterThan(0);
      expect(deltas.map((delta) => Number(delta.sequence))).toEqual(deltas.map((_, index) => index + 1));
    }
    await observer.loaded();
  });

  it('unloads the model when resources turn critical; a request then waits, and loads it again once they recover', async () => {
    await statusUntil(stack, 'the model loaded', (status) => status.loaded.length === 1);
    const since = observer.events.length;
    await turn('critical');
    await observer.unloaded('critical', since);
    const unloaded = await statusUntil(stack, 'nothing loaded', (status) => status.loaded.length === 0);
    expect(unloaded.lastUnloadReason).toBe('critical');

    const watch = deltaWatch();
    const pending = generate(20, { onDelta: watch.onDelta });
    await watch.next('waiting (admission)', waitingAt('admission'));
    expect(observer.events.slice(since).filter((event) => event.topic === 'loaded')).toEqual([]);

    const beforeRecovery = observer.events.length;
    await turn('recovered');
    const { result } = await pending;
    expect(result).toMatchObject({ text: await predictContinuation(PROMPT, 20), stopReason: StopReason.MAX_TOKENS });
    await observer.loaded(beforeRecovery);
  });

  it('submits a generation held by a monitor that stops again to the monitor that starts next, which runs it', async () => {
    await turn('critical');
    const watch = deltaWatch();
    const pending = generate(16, { jobClass: JobClass.LLM, onDelta: watch.onDelta });
    await watch.next('waiting (paused)', waitingAt('paused'));
    const models = stack.process('models');
    const since = models.lines.length;
    // The monitor that holds it goes away, and the one that comes up knows nothing of it (and the machine recovered).
    await restartMonitor(stack, machine.monitorEnv, { meanwhile: () => machine.normal(), expect: 'recovered' });
    const { result } = await pending;
    expect(result).toMatchObject({ text: await predictContinuation(PROMPT, 16), stopReason: StopReason.MAX_TOKENS });
    await models.waitForMessage('A monitor started; submitting a waiting job again', SIGNAL_TIMEOUT_MS, since);
  });

  it('stops a background generation at its next token when the monitor asks it to pause, and resumes it to the full predicted text', async () => {
    const maxTokens = 3000;
    const watch = deltaWatch();
    const pending = generate(maxTokens, { jobClass: JobClass.BACKGROUND, onDelta: watch.onDelta });
    await watch.next('text', (delta) => delta.kind.case === 'text');
    // A person starts typing (the gateway's report): the monitor holds background work and asks running jobs to pause.
    const since = observer.events.length;
    await stack.requester.publish(MonitorTopics.activityReported, {
      kind: ActivityKind.INPUT,
      occurredAt: timestampFromMs(Date.now()),
      client: 'e2e:admission',
    });
    await observer.waitFor('jobs.job.paused', (event) => event.topic === 'paused', since);
    await stack.process('models').waitForMessage('Generation paused on the monitor’s advice');
    // The slot is free while it waits, and the requester hears that it is paused.
    await statusUntil(stack, 'the generation paused', (status) => status.running === 0 && status.waiting === 1);
    const pausedAt = await watch.next('waiting (paused)', waitingAt('paused'));
    expect(pausedAt.completionTokens).toBeLessThan(maxTokens);

    await stack.requester.publish(MonitorTopics.activityReported, {
      kind: ActivityKind.AWAY,
      occurredAt: timestampFromMs(Date.now()),
      client: 'e2e:admission',
    });
    await observer.waitFor('jobs.job.resumed', (event) => event.topic === 'resumed', since);
    const { result, deltas, streamed } = await pending;
    expect(result).toMatchObject({ stopReason: StopReason.MAX_TOKENS, usage: { completionTokens: maxTokens } });
    expect(result.text).toBe(await predictContinuation(PROMPT, maxTokens));
    expect(streamed).toBe(result.text);
    // Text before the pause and after it.
    const pauseIndex = deltas.indexOf(pausedAt);
    expect(textOf(deltas.slice(0, pauseIndex)).length).toBeGreaterThan(0);
    expect(textOf(deltas.slice(pauseIndex)).length).toBeGreaterThan(0);
  });

  it('unloads the model after its keep-alive, and loads it again for the next request', async () => {
    // The models app again, with a keep-alive of 300 ms.
    await stack.process('models').stop();
    await stack.startApp('models', { ...MODELS_TEST_ENV, AICO_MODELS__KEEP_ALIVE_MS: '300', AICO_MODELS__KEEP_ALIVE_ON_BATTERY_MS: '300' });
    const since = observer.events.length;
    const first = await generate(12);
    expect(first.result.text).toBe(await predictContinuation(PROMPT, 12));
    await observer.loaded(since);
    await observer.unloaded('keep-alive', since);
    const idle = await statusUntil(stack, 'nothing loaded', (status) => status.loaded.length === 0);
    expect(idle).toMatchObject({ running: 0, waiting: 0, lastUnloadReason: 'keep-alive' });

    const again = observer.events.length;
    const second = await generate(12);
    expect(second.result).toMatchObject({ text: await predictContinuation(PROMPT, 12), stopReason: StopReason.MAX_TOKENS });
    await observer.loaded(again);
  });

  it('refuses to load a model that would take available memory below the monitor’s critical limit, and loads it once the limit allows', async () => {
    const models = stack.process('models');
    const limits = 'The monitor’s memory limits: a model load leaves its critical share of memory available';
    await statusUntil(stack, 'nothing loaded', (status) => status.loaded.length === 0);
    // A monitor whose memory turns critical below 99 % available (the recorded machine has all of it available, so
    // resources are not critical): a model must leave 99 % of this machine's real memory available, which none can.
    let since = models.lines.length;
    const tight = {
      ...machine.monitorEnv,
      AICO_MONITOR__POLICY__MIN_AVAILABLE_MEMORY_PERCENT: '99',
      AICO_MONITOR__POLICY__CRITICAL_AVAILABLE_MEMORY_PERCENT: '99',
    };
    await restartMonitor(stack, tight, { meanwhile: () => machine.roomy() });
    await models.waitForMessage(limits, SIGNAL_TIMEOUT_MS, since);
    const refused = await generate(8).catch((error: unknown) => error);
    expect(refused).toMatchObject({
      code: ModelsErrorCode.DoesNotFit,
      message: expect.stringMatching(/does not fit: it needs about .+ of memory .+ and 0 B is available/),
    });
    expect((await stack.requester.request(ModelsTopics.status, {}, { timeoutMs: SIGNAL_TIMEOUT_MS })).loaded).toEqual([]);

    since = models.lines.length;
    await restartMonitor(stack, machine.monitorEnv, { meanwhile: () => machine.normal() });
    await models.waitForMessage(limits, SIGNAL_TIMEOUT_MS, since);
    expect((await generate(8)).result.text).toBe(await predictContinuation(PROMPT, 8));
  });
});
