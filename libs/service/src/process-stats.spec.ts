import { LOOP_DELAY_RESOLUTION_MS, ProcessStatsSampler } from './process-stats';

/** Resolves after the event-loop monitor has ticked at least once more (its ticks are LOOP_DELAY_RESOLUTION_MS apart). */
const afterTicks = (count: number) => new Promise((resolve) => setTimeout(resolve, LOOP_DELAY_RESOLUTION_MS * count + 50));

describe('ProcessStatsSampler', () => {
  let sampler: ProcessStatsSampler;
  beforeEach(() => {
    sampler = new ProcessStatsSampler();
  });
  afterEach(() => sampler.stop());

  it('reports a blocked event loop as the delay past the monitor tick, not the tick interval itself', async () => {
    await afterTicks(1);
    sampler.sample();
    // A loop blocked for longer than two ticks: the tick due inside the block fires at least (block − resolution) late.
    const blockMs = LOOP_DELAY_RESOLUTION_MS * 3;
    const until = performance.now() + blockMs;
    while (performance.now() < until);
    await afterTicks(1);
    const sample = sampler.sample();
    expect(sample.eventLoopDelayP99Ms).toBeGreaterThanOrEqual(blockMs - LOOP_DELAY_RESOLUTION_MS - 5);
    expect(sample.pid).toBe(process.pid);
    expect(sample.rssBytes).toBeGreaterThan(sample.heapUsedBytes);
  });

  it('reports no delay before the monitor has ticked', () => {
    expect(sampler.sample().eventLoopDelayP99Ms).toBe(0);
  });

  it('measures CPU since the previous sample, as a percent of one core', async () => {
    sampler.sample();
    const until = performance.now() + 200;
    while (performance.now() < until);
    await afterTicks(0);
    expect(sampler.sample().cpuPercent).toBeGreaterThan(0);
  });
});
