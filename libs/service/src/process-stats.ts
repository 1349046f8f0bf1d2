// Process figures for the heartbeat: CPU since the previous sample (percent of one core), memory, event-loop delay.
import { createHistogram } from 'node:perf_hooks';

export interface ProcessSample {
  readonly pid: number;
  readonly uptimeMs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly cpuPercent: number;
  readonly eventLoopDelayP99Ms: number;
}

/**
 * How often the event-loop probe ticks. Each tick wakes an idle process: Node's monitorEventLoopDelay at 20 ms was 50
 * wake-ups a second in every service, a third of a percent of a core each and most of the system's idle CPU
 * (issue 18). A tick fires late by however long the loop was blocked past its due time, so a stall longer than the
 * gap between ticks is always seen (at least stall − gap); only shorter blips can slip between two ticks.
 */
export const LOOP_DELAY_RESOLUTION_MS = 1_000;

export class ProcessStatsSampler {
  /** Lateness of each tick, in microseconds (a histogram records integers ≥ 1). */
  private readonly delays = createHistogram();
  private readonly ticker: NodeJS.Timeout;
  private dueAt = performance.now() + LOOP_DELAY_RESOLUTION_MS;
  private lastCpu = process.cpuUsage();
  private lastAt = process.hrtime.bigint();

  constructor() {
    // Our own probe rather than monitorEventLoopDelay: that one drops the first interval after every reset(), so a
    // stall right after a heartbeat went unrecorded; here each tick knows when it was due.
    this.ticker = setInterval(() => {
      const now = performance.now();
      this.delays.record(Math.max(1, Math.round((now - this.dueAt) * 1_000)));
      this.dueAt = now + LOOP_DELAY_RESOLUTION_MS;
    }, LOOP_DELAY_RESOLUTION_MS);
    this.ticker.unref();
  }

  sample(): ProcessSample {
    const now = process.hrtime.bigint();
    const cpu = process.cpuUsage(this.lastCpu);
    const elapsedUs = Number(now - this.lastAt) / 1_000;
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const memory = process.memoryUsage();
    const p99 = this.delays.count > 0 ? this.delays.percentile(99) / 1_000 : 0;
    this.delays.reset();
    return {
      pid: process.pid,
      uptimeMs: Math.round(process.uptime() * 1_000),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      cpuPercent: elapsedUs > 0 ? Math.round(((cpu.user + cpu.system) / elapsedUs) * 10_000) / 100 : 0,
      eventLoopDelayP99Ms: Math.round(p99 * 100) / 100,
    };
  }

  stop(): void {
    clearInterval(this.ticker);
  }
}
