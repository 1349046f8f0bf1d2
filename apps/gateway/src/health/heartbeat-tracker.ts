// Readiness from the bus: every service's heartbeat says it is alive, with its version, pid and interval; a service
// that misses `missedHeartbeats` in a row, or announces it is stopping, counts as down. The bus round trip is this
// gateway's own ping through the proxy, measured at most once a second.
import { Inject, Injectable } from '@nestjs/common';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { BusClient } from '@aico/bus';
import { HealthStatus, SystemTopics, type Heartbeat, type ServiceStopping } from '@aico/contracts';
import { SERVICE_CONFIG, SERVICE_INFO, type ServiceInfo } from '@aico/service';
import type { GatewayConfig } from '../gateway.config';

export interface AppHealth {
  readonly service: string;
  readonly status: 'up' | 'down';
  readonly reason: string;
  readonly lastSeenMsAgo: number;
  readonly version: string;
  readonly pid: number;
  readonly instanceId: string;
  readonly uptimeMs: number;
}

interface Seen {
  lastSeenAt: number;
  intervalMs: number;
  version: string;
  pid: number;
  instanceId: string;
  startedAt: number;
  stopping: boolean;
  reportedStatus: HealthStatus;
}

@Injectable()
export class HeartbeatTracker {
  private readonly seen = new Map<string, Seen>();
  private roundTrip: { measuredAt: number; ms: number | undefined } = { measuredAt: 0, ms: undefined };

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    @Inject(SERVICE_INFO) private readonly info: ServiceInfo,
    private readonly bus: BusClient,
  ) {}

  /** A heartbeat heard on the bus (`system.health.heartbeat`, HealthEventsController): the service is alive. */
  heartbeat(beat: Heartbeat, now = Date.now()): void {
    this.seen.set(beat.service, {
      lastSeenAt: now,
      intervalMs: beat.intervalMs || 5_000,
      version: beat.version,
      pid: beat.process?.pid ?? 0,
      instanceId: beat.instanceId,
      startedAt: beat.startedAt ? timestampMs(beat.startedAt) : now,
      stopping: beat.status === HealthStatus.STOPPING,
      reportedStatus: beat.status,
    });
  }

  /** A service announced it is stopping (`system.service.stopping`): down on purpose, if it is the instance seen. */
  stopping(stopping: Pick<ServiceStopping, 'service' | 'instanceId'>): void {
    const entry = this.seen.get(stopping.service);
    if (entry && entry.instanceId === stopping.instanceId) entry.stopping = true;
  }

  apps(now = Date.now()): AppHealth[] {
    const apps = [...this.seen].map(([service, seen]): AppHealth => {
      const silentMs = now - seen.lastSeenAt;
      const missed = silentMs > seen.intervalMs * this.config.gateway.missedHeartbeats;
      const status = seen.stopping || missed ? 'down' : 'up';
      const reason = seen.stopping
        ? 'announced it is stopping'
        : missed
          ? `no heartbeat for ${silentMs} ms (every ${seen.intervalMs} ms expected)`
          : 'heartbeating';
      return {
        service,
        status,
        reason,
        lastSeenMsAgo: silentMs,
        version: seen.version,
        pid: seen.pid,
        instanceId: seen.instanceId,
        uptimeMs: now - seen.startedAt,
      };
    });
    return apps.sort((a, b) => a.service.localeCompare(b.service));
  }

  /** The bus round trip in ms (a ping to this gateway through the proxy), or undefined when it did not come back. */
  async busRoundTripMs(): Promise<number | undefined> {
    if (Date.now() - this.roundTrip.measuredAt < 1_000) return this.roundTrip.ms;
    const started = performance.now();
    let ms: number | undefined;
    try {
      await this.bus.request(SystemTopics.ping, { target: this.info.identity }, { timeoutMs: 1_000 });
      ms = Number((performance.now() - started).toFixed(3));
    } catch {
      ms = undefined;
    }
    this.roundTrip = { measuredAt: Date.now(), ms };
    return ms;
  }
}
