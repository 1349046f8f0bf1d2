import { LOOP_PROBE_BUSY_GAP_MS, ProcessStatsSampler } from './process-stats';

const IDLE_GAP_MS = 3 * LOOP_PROBE_BUSY_GAP_MS;

/** Keeps the loop working (not waiting) for `ms`. */
function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

/** Resolves once the probe has ticked `count` more times (polls rarely, so the polling leaves the loop idle). */
async function ticks(sampler: ProcessStatsSampler, count: number): Promise<void> {
  const target = sampler.probeState.ticks + count;
  while (sampler.probeState.ticks < target) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('ProcessStatsSampler', () => {
  let sampler: ProcessStatsSampler;
  beforeEach(() => {
    sampler = new ProcessStatsSampler(IDLE_GAP_MS);
  });
  afterEach(() => sampler.stop());

  it('reports a blocked event loop as the delay past the probe tick, not the tick gap itself', async () => {
    sampler.sample();
    // A new sampler probes at the busy gap; a block of three gaps holds back the tick due inside it by at least two.
    expect(sampler.probeState.gapMs).toBe(LOOP_PROBE_BUSY_GAP_MS);
    const blockMs = LOOP_PROBE_BUSY_GAP_MS * 3;
    block(blockMs);
    await ticks(sampler, 1);
    const sample = sampler.sample();
    expect(sample.eventLoopDelayP99Ms).toBeGreaterThanOrEqual(blockMs - LOOP_PROBE_BUSY_GAP_MS * 1.25 - 5);
    expect(sample.pid).toBe(process.pid);
    expect(sample.rssBytes).toBeGreaterThan(sample.heapUsedBytes);
  });

  it('probes an idle loop once per idle gap, and a loop that worked again once per busy gap', async () => {
    // The test waits on timers, so the loop goes idle and the probe to the idle gap (not necessarily on the first
    // tick: the loop may still have been working on the previous test).
    while (sampler.probeState.gapMs !== IDLE_GAP_MS) await ticks(sampler, 1);
    // Work of a tenth of the idle gap (a tenth of 3 s), well over the busy share, before the idle gap's tick.
    block(IDLE_GAP_MS / 10);
    await ticks(sampler, 1);
    expect(sampler.probeState.gapMs).toBe(LOOP_PROBE_BUSY_GAP_MS);
  });

  it('reports no delay before the probe has ticked', () => {
    expect(sampler.sample().eventLoopDelayP99Ms).toBe(0);
  });

  it('measures CPU since the previous sample, as a percent of one core', () => {
    sampler.sample();
    block(200);
    expect(sampler.sample().cpuPercent).toBeGreaterThan(0);
  });
});
