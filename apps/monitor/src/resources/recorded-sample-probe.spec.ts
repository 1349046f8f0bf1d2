// The recorded-sample probe under the real sampler and policy: a sample file written by the test puts the monitor's
// verdict where the file says (critical memory, a low battery, normal) and a new file changes it at the next reading;
// a file that is not a sample fails the reading with the reason. The OS parts it still reads are faked at the edge.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResourceState } from '@aico/contracts';
import { captureLogger } from '@aico/logging';
import { ManualClock, monitorSettings } from '../monitor.test-helpers';
import { RecordedSampleProbe, type RecordedSample } from './recorded-sample-probe';
import { ResourcePolicy } from './resource-policy';
import { ResourceSampler } from './resource-sampler';
import { ServiceProcessTable } from './service-processes';

const GIB = 1024 ** 3;
let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'aico-recorded-'));
  file = join(dir, 'sample.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const record = (sample: RecordedSample | string) => writeFileSync(file, typeof sample === 'string' ? sample : JSON.stringify(sample));

function setUp() {
  const settings = monitorSettings({ policy: { enterAfterSamples: 1, exitAfterSamples: 1 }, batteryIntervalMs: 100 });
  const clock = new ManualClock();
  const probe = new RecordedSampleProbe(file, {
    loadAverage: () => ({ available: true, oneMinute: 0.5, fiveMinutes: 0.5, fifteenMinutes: 0.5 }),
    processes: () => Promise.resolve([]),
  });
  const sampler = new ResourceSampler(probe, new ServiceProcessTable(), settings, clock, captureLogger('monitor').logger);
  const policy = new ResourcePolicy(settings.policy);
  const judge = async () => {
    clock.advance(1_000);
    const reading = await sampler.sample();
    return { reading, verdict: policy.evaluate(reading) };
  };
  return { judge };
}

describe('RecordedSampleProbe', () => {
  it('reads the machine from the sample file at every reading, and the policy judges it as it would a real one', async () => {
    record({ cpuPercent: 20, memory: { totalBytes: 16 * GIB, availableBytes: 0.03 * 16 * GIB } });
    const { judge } = setUp();
    const critical = await judge();
    expect(critical.reading.cpu.loadPercent).toBeCloseTo(20);
    expect(critical.verdict).toMatchObject({ state: ResourceState.CRITICAL, conditions: [expect.objectContaining({ code: 'memory_critical' })] });

    record({ cpuPercent: 10, memory: { totalBytes: 16 * GIB, availableBytes: 8 * GIB }, battery: { percent: 15, acConnected: false } });
    const onBattery = await judge();
    expect(onBattery.reading.battery).toMatchObject({ hasBattery: true, percent: 15, acConnected: false });
    expect(onBattery.verdict).toMatchObject({ state: ResourceState.CONSTRAINED, conditions: [expect.objectContaining({ code: 'battery_low' })] });

    record({ cpuPercent: 10, memory: { totalBytes: 16 * GIB, availableBytes: 8 * GIB } });
    expect((await judge()).verdict.state).toBe(ResourceState.NORMAL);
  });

  it('fails a reading whose file is missing or not a sample, saying why', async () => {
    const { judge } = setUp();
    await expect(judge()).rejects.toThrow(`The recorded sample ${file} cannot be used: ENOENT`);
    record({ cpuPercent: 10, memory: { totalBytes: 1, availableBytes: 2 } });
    await expect(judge()).rejects.toThrow('availableBytes is more than totalBytes');
    record('{ not json');
    await expect(judge()).rejects.toThrow('cannot be used');
  });
});
