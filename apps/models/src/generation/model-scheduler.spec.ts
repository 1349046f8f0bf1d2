// The scheduler's rules on residency, with the engine faked at the edge (loading and unloading are recorded, nothing
// runs) and Jest's clock, so keep-alive times are exact without waiting: one model resident, unloaded after the
// keep-alive (the shorter battery one counted from when it fell idle), unloaded at once on critical resources with
// running work told to stop and waiting work held until they recover, and replaced in arrival order. The real engine
// under the same rules is in e2e/models/admission.e2e-spec.ts.
import { captureLogger } from '@aico/logging';
import type { LlamaEngine, ResidentModel } from '../engine/llama-engine';
import type { ResolvedModel } from '../engine/model-resolver';
import { ModelScheduler, type SlotRequest, type UnloadReason, type WaitingState } from './model-scheduler';

class FakeEngine {
  readonly log: string[] = [];
  /** When set, a load waits for this before it completes. */
  loadGate: Promise<void> | undefined;
  private current: ResidentModel | undefined;

  get resident(): ResidentModel | undefined {
    return this.current;
  }

  async load(model: ResolvedModel): Promise<ResidentModel> {
    this.log.push(`load ${model.name}`);
    await this.loadGate;
    // Only what the scheduler reads of a resident model.
    this.current = { model, sequences: 1 } as unknown as ResidentModel;
    return this.current;
  }

  unload(): Promise<ResidentModel | undefined> {
    const gone = this.current;
    this.current = undefined;
    return Promise.resolve(gone);
  }
}

const model = (name: string): ResolvedModel => ({ name, absolutePath: `/models/${name}.gguf`, contextLength: 1024, quantization: 'F32', parameters: 0n });

function setUp(settings = { keepAliveMs: 60_000, keepAliveOnBatteryMs: 20_000 }) {
  const engine = new FakeEngine();
  const events: string[] = [];
  const scheduler = new ModelScheduler(
    engine as unknown as LlamaEngine,
    settings,
    {
      loaded: (resident) => events.push(`loaded ${resident.model.name}`),
      unloaded: (name: string, reason: UnloadReason) => events.push(`unloaded ${name} (${reason})`),
    },
    captureLogger('models').logger,
  );
  let order = 0;
  const acquire = (name: string, onWaiting: (state: WaitingState) => void = () => undefined, signal = new AbortController().signal) =>
    scheduler.acquire({ model: model(name), order: ++order, onWaiting, signal } satisfies SlotRequest);
  return { engine, events, scheduler, acquire };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('ModelScheduler', () => {
  it('unloads an idle model after the keep-alive, and loads it again for the next work', async () => {
    const { engine, events, scheduler, acquire } = setUp();
    const slot = await acquire('tiny');
    expect(events).toEqual(['loaded tiny']);
    await jest.advanceTimersByTimeAsync(120_000); // in use: no keep-alive runs
    slot.release();
    expect(scheduler.status().unloadAtMs).toBe(Date.now() + 60_000);
    await jest.advanceTimersByTimeAsync(59_999);
    expect(events).toEqual(['loaded tiny']);
    await jest.advanceTimersByTimeAsync(1);
    expect(events).toEqual(['loaded tiny', 'unloaded tiny (keep-alive)']);
    expect(scheduler.status()).toMatchObject({ lastUnloadReason: 'keep-alive', unloadAtMs: undefined });

    (await acquire('tiny')).release();
    expect(engine.log).toEqual(['load tiny', 'load tiny']);
    expect(events.at(-1)).toBe('loaded tiny');
  });

  it('on battery, keeps an idle model only for the battery keep-alive, counted from when it fell idle', async () => {
    const { events, scheduler, acquire } = setUp();
    (await acquire('tiny')).release();
    await jest.advanceTimersByTimeAsync(30_000);
    // Idle for 30 s already, more than the 20 s on battery: it goes now.
    scheduler.setOnBattery(true);
    await jest.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['loaded tiny', 'unloaded tiny (keep-alive)']);

    (await acquire('tiny')).release();
    await jest.advanceTimersByTimeAsync(19_999);
    expect(events).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(1);
    expect(events.at(-1)).toBe('unloaded tiny (keep-alive)');
  });

  it('on critical resources stops running work, unloads once it let go, holds waiting work, and loads again on recovery', async () => {
    const { events, scheduler, acquire } = setUp();
    const running = await acquire('tiny');
    const states: WaitingState[] = [];
    let granted = false;
    const waiting = acquire('tiny', (state) => states.push(state)).then((slot) => ((granted = true), slot));
    await jest.advanceTimersByTimeAsync(0);
    expect(states.at(-1)).toMatchObject({ stage: 'queued', position: 1 });

    scheduler.setCritical('available memory 3%, below 5%');
    expect(running.evicted.aborted).toBe(true);
    expect((running.evicted.reason as Error).message).toContain('resources are critical');
    running.release();
    await jest.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['loaded tiny', 'unloaded tiny (critical)']);
    expect(states.at(-1)).toMatchObject({ stage: 'admission', position: 1, reason: expect.stringContaining('available memory 3%') });
    // However long it stays critical, nothing loads and the waiting work waits.
    await jest.advanceTimersByTimeAsync(600_000);
    expect(granted).toBe(false);
    expect(events).toHaveLength(2);

    scheduler.setCritical(undefined);
    (await waiting).release();
    expect(events).toEqual(['loaded tiny', 'unloaded tiny (critical)', 'loaded tiny']);
  });

  it('unloads a model that turns critical while idle, without waiting for its keep-alive', async () => {
    const { events, scheduler, acquire } = setUp();
    (await acquire('tiny')).release();
    scheduler.setCritical('CPU 99% busy, above 97%');
    await jest.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['loaded tiny', 'unloaded tiny (critical)']);
    expect(scheduler.status()).toMatchObject({ unloadAtMs: undefined, lastUnloadReason: 'critical' });
  });

  it('unloads a model that finished loading after resources turned critical, and keeps its work waiting', async () => {
    const { engine, events, scheduler, acquire } = setUp();
    let finishLoad = (): void => undefined;
    engine.loadGate = new Promise<void>((resolve) => (finishLoad = resolve));
    const states: WaitingState[] = [];
    let granted = false;
    const work = acquire('tiny', (state) => states.push(state)).then((slot) => ((granted = true), slot));
    await jest.advanceTimersByTimeAsync(0);
    expect(states.at(-1)).toMatchObject({ stage: 'loading' });
    scheduler.setCritical('available memory 3%, below 5%');
    expect(states.at(-1)).toMatchObject({ stage: 'admission' });
    finishLoad();
    await jest.advanceTimersByTimeAsync(0);
    expect(events).toEqual(['loaded tiny', 'unloaded tiny (critical)']);
    expect(granted).toBe(false);

    engine.loadGate = undefined;
    scheduler.setCritical(undefined);
    (await work).release();
    expect(events.at(-1)).toBe('loaded tiny');
  });

  it('replaces the resident model for work that needs another one, in arrival order', async () => {
    const { engine, events, acquire } = setUp();
    const first = await acquire('tiny');
    const other = acquire('other');
    const third = acquire('tiny');
    await jest.advanceTimersByTimeAsync(0);
    first.release();
    const otherSlot = await other;
    expect(events).toEqual(['loaded tiny', 'unloaded tiny (replaced)', 'loaded other']);
    otherSlot.release();
    (await third).release();
    expect(engine.log).toEqual(['load tiny', 'load other', 'load tiny']);
  });
});
