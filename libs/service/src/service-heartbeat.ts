// `system.health.heartbeat`: every interval, what this process is (identity, instance, version), how it is
// (OK, or STOPPING once a stop began) and what it costs (CPU, memory, event-loop delay, bus counters).
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { BusClient } from '@aico/bus';
import { HealthStatus, SystemTopics } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { everyAligned } from './aligned-timer';
import { ProcessStatsSampler } from './process-stats';
import type { ServiceInfo } from './service.tokens';

export class ServiceHeartbeat {
  private readonly stats: ProcessStatsSampler;
  private status = HealthStatus.OK;
  private timer: { stop(): void } | undefined;

  constructor(
    private readonly bus: BusClient,
    private readonly info: ServiceInfo,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {
    // The probe's idle tick shares the heartbeat's wake-up: both land on the same wall-clock multiples.
    this.stats = new ProcessStatsSampler(intervalMs);
  }

  /**
   * Beats now and then on every wall-clock multiple of the interval, as every other service does, so listeners take
   * the beats in one wake-up; the timer never keeps the process alive.
   */
  start(): void {
    if (this.status === HealthStatus.STOPPING) return;
    this.timer = everyAligned(this.intervalMs, () => this.beat());
    this.beat();
  }

  /** The process is stopping: no more beats, and the sampler's event-loop monitor is released. */
  stop(): void {
    this.status = HealthStatus.STOPPING;
    this.timer?.stop();
    this.stats.stop();
  }

  private beat(): void {
    const { bus, info } = this;
    const sample = this.stats.sample();
    const busStats = bus.stats;
    bus
      .publish(SystemTopics.heartbeat, {
        service: info.identity,
        instanceId: info.instanceId,
        version: info.version,
        status: this.status,
        intervalMs: this.intervalMs,
        startedAt: timestampFromDate(info.startedAt),
        process: {
          pid: sample.pid,
          uptimeMs: BigInt(sample.uptimeMs),
          rssBytes: BigInt(sample.rssBytes),
          heapUsedBytes: BigInt(sample.heapUsedBytes),
          heapTotalBytes: BigInt(sample.heapTotalBytes),
          cpuPercent: sample.cpuPercent,
          eventLoopDelayP99Ms: sample.eventLoopDelayP99Ms,
        },
        bus: {
          published: BigInt(busStats.published),
          received: BigInt(busStats.received),
          dropped: BigInt(busStats.dropped),
          droppedByReason: Object.fromEntries(Object.entries(busStats.droppedByReason).map(([k, v]) => [k, BigInt(v)])),
          sendQueueLength: busStats.sendQueueLength,
        },
      })
      .catch((error: unknown) => this.logger.debug({ err: error }, 'Heartbeat not sent'));
  }
}
