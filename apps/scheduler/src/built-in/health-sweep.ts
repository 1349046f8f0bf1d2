// The health sweep: every heartbeat on the bus is remembered (the last one per service instance); the sweep task
// publishes what they add up to on `scheduler.health.summary`, marking instances whose heartbeats are overdue.
import { Inject, Injectable } from '@nestjs/common';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { BusClient } from '@aico/bus';
import { HealthStatus, SchedulerTopics, type HealthSummarySchema, type Heartbeat, type ServiceHealthSchema } from '@aico/contracts';
import { SERVICE_CONFIG } from '@aico/service';
import type { Clock } from '../clock';
import type { SchedulerConfig } from '../scheduler.config';
import { SCHEDULER_CLOCK } from '../scheduler.tokens';

interface Heard {
  readonly heartbeat: Heartbeat;
  readonly at: number;
}

@Injectable()
export class HealthSweep {
  private readonly heard = new Map<string, Heard>();

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: SchedulerConfig,
    @Inject(SCHEDULER_CLOCK) private readonly clock: Clock,
    private readonly bus: BusClient,
  ) {}

  /** A heartbeat heard on the bus (the scheduler controller's `system.health.heartbeat` handler). */
  heartbeat(heartbeat: Heartbeat, source: string): void {
    this.heard.set(heartbeat.instanceId || source, { heartbeat, at: this.clock.now() });
  }

  /** A service that said it is stopping is gone on purpose, not overdue. */
  stopping(instanceId: string): void {
    this.heard.delete(instanceId);
  }

  summarize(): MessageInitShape<typeof HealthSummarySchema> {
    const now = this.clock.now();
    const { staleAfterBeats, forgetAfterMs } = this.config.scheduler.healthSweep;
    let healthy = 0;
    let stale = 0;
    let unhealthy = 0;
    const services: MessageInitShape<typeof ServiceHealthSchema>[] = [];
    for (const [instanceId, { heartbeat, at }] of this.heard) {
      const silentMs = Math.max(0, now - at);
      if (silentMs > forgetAfterMs) {
        this.heard.delete(instanceId);
        continue;
      }
      const overdue = silentMs > staleAfterBeats * Math.max(1, heartbeat.intervalMs);
      if (overdue) stale++;
      else if (heartbeat.status === HealthStatus.OK) healthy++;
      else unhealthy++;
      services.push({
        service: heartbeat.service,
        instanceId,
        status: heartbeat.status,
        lastSeen: timestampFromMs(at),
        silentMs: BigInt(silentMs),
        stale: overdue,
        cpuPercent: heartbeat.process?.cpuPercent ?? 0,
        rssBytes: heartbeat.process?.rssBytes ?? 0n,
        eventLoopDelayP99Ms: heartbeat.process?.eventLoopDelayP99Ms ?? 0,
        busDropped: heartbeat.bus?.dropped ?? 0n,
      });
    }
    services.sort((a, b) => (a.service ?? '').localeCompare(b.service ?? '') || (a.instanceId ?? '').localeCompare(b.instanceId ?? ''));
    return { sweptAt: timestampFromMs(now), services, healthy, stale, unhealthy };
  }

  async publishSummary(): Promise<void> {
    await this.bus.publish(SchedulerTopics.healthSummary, this.summarize());
  }
}
