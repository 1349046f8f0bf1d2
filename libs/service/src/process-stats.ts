// Process figures for the heartbeat: CPU since the previous sample (percent of one core), memory, event-loop delay.
import { createHistogram, performance } from 'node:perf_hooks';
import { AlignedTimer } from './aligned-timer';

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
 * How often the event-loop probe ticks while the loop is busy. Each tick wakes an idle process: Node's
 * monitorEventLoopDelay at 20 ms was 50 wake-ups a second in every service, a third of a percent of a core each and
 * most of the system's idle CPU (issue 18). A tick fires late by however long the loop was blocked past its due time,
 * so a stall longer than the gap between ticks is always seen (at least stall − gap); only shorter blips can slip
 * between two ticks.
 */
export const LOOP_PROBE_BUSY_GAP_MS = 1_000;

/**
 * The share of a gap the loop must have spent working for the next gap to be the busy one. An idle service's loop
 * works well under 0.1 % of the time, and a tick every second still cost it 0.06 % of a core (issue 18), so an idle
 * loop is probed only once per idle gap (the heartbeat interval, whose wake-up the tick shares). A stall can only
 * happen while the loop works: one that slips past the idle gap's single tick makes that gap busy, and the probe is
 * back to a tick a second from the next tick on.
 */
export const LOOP_PROBE_BUSY_UTILIZATION = 0.01;

export class ProcessStatsSampler {
  /** Lateness of each tick, in microseconds (a histogram records integers ≥ 1). */
  private readonly delays = createHistogram();
  // Our own probe rather than monitorEventLoopDelay: that one drops the first interval after every reset(), so a
  // stall right after a heartbeat went unrecorded, and it cannot change its resolution; here each tick knows when it
  // was due.
  private readonly probe = new AlignedTimer((lateMs) => this.tick(lateMs));
  private loopUse = performance.eventLoopUtilization();
  private gapMs = LOOP_PROBE_BUSY_GAP_MS;
  private ticks = 0;
  private lastCpu = process.cpuUsage();
  private lastAt = process.hrtime.bigint();
  private readonly idleGapMs: number;

  /** `idleGapMs`: the gap between probe ticks while the loop is idle (at least the busy gap). */
  constructor(idleGapMs: number) {
    this.idleGapMs = Math.max(LOOP_PROBE_BUSY_GAP_MS, idleGapMs);
    // A new process starts busy: it is loading and connecting.
    this.probe.arm(this.gapMs);
  }

  /** The probe's current gap and how many times it has ticked (for tests and diagnostics). */
  get probeState(): { readonly gapMs: number; readonly ticks: number } {
    return { gapMs: this.gapMs, ticks: this.ticks };
  }

  private tick(lateMs: number): void {
    this.ticks++;
    this.delays.record(Math.max(1, Math.round(lateMs * 1_000)));
    const use = performance.eventLoopUtilization(this.loopUse);
    this.loopUse = performance.eventLoopUtilization();
    this.gapMs = use.utilization >= LOOP_PROBE_BUSY_UTILIZATION ? LOOP_PROBE_BUSY_GAP_MS : this.idleGapMs;
    this.probe.arm(this.gapMs);
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
    this.probe.stop();
  }
}
