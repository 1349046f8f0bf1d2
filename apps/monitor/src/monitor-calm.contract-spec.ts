// The monitor's calm readings through its bus contract: with the policy settled and no job in its hands it reads the
// machine once per calm interval (here an hour, so a reading after the first can only come from something else), and
// a submitted job brings a reading within the sample interval. The real app in this process behind a real CURVE
// proxy; the policy's limits are set so that this machine is always normal (CPU rules off at 100 %, memory at 0 %).
import { JobClass, JobState, MonitorTopics, type ResourceSample } from '@aico/contracts';
import { nextValue, requestWhenRoutable, TestBus, type TestClient } from '@aico/bus/testing';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { runService, type RunningService } from '@aico/service';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { MonitorAppModule } from './monitor-app.module';
import { monitorConfigSchema } from './monitor.config';
import { SIGNAL_TIMEOUT_MS } from './monitor.test-helpers';

const SAMPLE_INTERVAL_MS = 200;

describe('monitor app contract: calm readings', () => {
  let environment: ServiceTestEnvironment;
  let bus: TestBus;
  let running: RunningService;
  let scheduler: TestClient;
  const samples: ResourceSample[] = [];
  let waiting: ((sample: ResourceSample) => void) | undefined;

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('ipc', {
      AICO_LOG__LEVEL: 'warn',
      AICO_LOG__FILE: 'false',
      AICO_BUS__READY_TIMEOUT_MS: String(SIGNAL_TIMEOUT_MS),
      AICO_MONITOR__SAMPLE_INTERVAL_MS: String(SAMPLE_INTERVAL_MS),
      AICO_MONITOR__CALM_SAMPLE_INTERVAL_MS: String(3_600_000),
      AICO_MONITOR__PUBLISH_INTERVAL_MS: String(SAMPLE_INTERVAL_MS),
      AICO_MONITOR__POLICY__MAX_CPU_PERCENT: '100',
      AICO_MONITOR__POLICY__CRITICAL_CPU_PERCENT: '100',
      AICO_MONITOR__POLICY__MIN_AVAILABLE_MEMORY_PERCENT: '0',
      AICO_MONITOR__POLICY__CRITICAL_AVAILABLE_MEMORY_PERCENT: '0',
      // A laptop on battery below half would hold background work: not settled. No battery rule may apply here.
      AICO_MONITOR__POLICY__BACKGROUND_MIN_BATTERY_PERCENT: '0',
      AICO_MONITOR__POLICY__LOW_BATTERY_PERCENT: '0',
      AICO_MONITOR__POLICY__CRITICAL_BATTERY_PERCENT: '0',
    });
    bus = await new TestBus({ transport: 'ipc', keys: environment.keys }).start();
    const env = { ...environment.env, AICO_BUS__PUBLISH_ENDPOINT: bus.publishEndpoint, AICO_BUS__SUBSCRIBE_ENDPOINT: bus.subscribeEndpoint };
    scheduler = await bus.connected('scheduler');
    scheduler.subscribe(MonitorTopics.resourceSample, (message) => {
      samples.push(message.payload);
      waiting?.(message.payload);
    });
    running = await runService({ identity: 'monitor', module: MonitorAppModule, configSchema: monitorConfigSchema, env, exitOnStop: false });
    await requestWhenRoutable((timeoutMs) => scheduler.request(MonitorTopics.resourceStatus, {}, { timeoutMs }));
  });
  afterAll(async () => {
    await running?.stop('test finished');
    await bus?.stop();
    await environment?.cleanup();
  });

  const nextSample = (what: string) =>
    nextValue<ResourceSample>(
      (deliver) => {
        waiting = deliver;
      },
      SIGNAL_TIMEOUT_MS,
      what,
    );
  const sampledAt = (sample: ResourceSample) => timestampMs(sample.sampledAt!);

  it('reads once, then waits out the calm interval; a submitted job brings the next reading within the sample interval', async () => {
    const first = samples[0] ?? (await nextSample('the first reading'));
    // Five sample intervals (or more on a loaded machine): a monitor that was not calm would have read again.
    await new Promise((resolve) => setTimeout(resolve, SAMPLE_INTERVAL_MS * 5));
    expect(samples.map(sampledAt)).toEqual([sampledAt(first)]);
    const status = await scheduler.request(MonitorTopics.resourceStatus, {});
    expect(status.sample && timestampMs(status.sample.sampledAt!)).toBe(sampledAt(first));

    const next = nextSample('a reading after the job was submitted');
    const submitted = await scheduler.request(MonitorTopics.jobSubmit, { id: 'calm-1', jobClass: JobClass.LLM, kind: 'llm.chat' });
    expect(submitted.job).toMatchObject({ state: JobState.RUNNING });
    expect(sampledAt(await next)).toBeGreaterThan(sampledAt(first));
    // While the job runs, readings keep coming at the sample interval.
    const another = await nextSample('another reading while the job runs');
    expect(sampledAt(another)).toBeGreaterThan(sampledAt(samples.at(-2)!));

    const done = await scheduler.request(MonitorTopics.jobComplete, { id: 'calm-1', succeeded: true });
    expect(done.job).toMatchObject({ state: JobState.SUCCEEDED });
  });
});
