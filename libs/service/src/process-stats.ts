// Process figures for the heartbeat: CPU since the previous sample (percent of one core), memory, event-loop delay.
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface ProcessSample {
  readonly pid: number;
  readonly uptimeMs: number;
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
  readonly cpuPercent: number;
  readonly eventLoopDelayP99Ms: number;
}

export class ProcessStatsSampler {
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 20 });
  private lastCpu = process.cpuUsage();
  private lastAt = process.hrtime.bigint();

  constructor() {
    this.loopDelay.enable();
  }

  sample(): ProcessSample {
    const now = process.hrtime.bigint();
    const cpu = process.cpuUsage(this.lastCpu);
    const elapsedUs = Number(now - this.lastAt) / 1_000;
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const memory = process.memoryUsage();
    const p99 = this.loopDelay.percentile(99) / 1e6;
    this.loopDelay.reset();
    return {
      pid: process.pid,
      uptimeMs: Math.round(process.uptime() * 1_000),
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      heapTotalBytes: memory.heapTotal,
      cpuPercent: elapsedUs > 0 ? Math.round(((cpu.user + cpu.system) / elapsedUs) * 10_000) / 100 : 0,
      eventLoopDelayP99Ms: Number.isFinite(p99) ? Math.round(p99 * 100) / 100 : 0,
    };
  }

  stop(): void {
    this.loopDelay.disable();
  }
}
