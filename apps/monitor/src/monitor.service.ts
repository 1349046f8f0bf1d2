// The monitor's loop: every sample interval (the calm one while nothing needs a quick answer) it reads the machine,
// lets the policy judge the reading, announces a changed state, takes back expired job leases and re-applies
// admission; it publishes a sample once per publish interval. Activity reports and service lifecycle events from the
// bus come in through here too.
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { BusClient } from '@aico/bus';
import { ActivityKind, MonitorTopics, ResourceState, ResourceStatusResponseSchema, type ResourceStatusResponse } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { AlignedTimer, SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { ActivityTracker } from './activity/activity-tracker';
import { JobAdmission } from './jobs/job-admission';
import type { MonitorConfig, MonitorSettings } from './monitor.config';
import { CLOCK, type Clock } from './monitor.tokens';
import { ResourcePolicy, stateName, type PolicyVerdict } from './resources/resource-policy';
import { toResourceSampleMessage, type ResourceReading } from './resources/resource-reading';
import { ResourceSampler } from './resources/resource-sampler';
import { ServiceProcessTable } from './resources/service-processes';

@Injectable()
export class MonitorService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly settings: MonitorSettings;
  private readonly logger: Logger;
  private readonly timer = new AlignedTimer(() => {
    void this.tick().finally(() => {
      if (!this.stopped) this.timer.arm(this.nextIntervalMs());
    });
  });
  private ticking = false;
  private stopped = false;
  private tickFailing = false;
  private lastPublishedMs = Number.NEGATIVE_INFINITY;
  private latest: ResourceReading | undefined;
  private verdict: PolicyVerdict | undefined;
  private stateSinceMs: number | undefined;

  constructor(
    @Inject(SERVICE_CONFIG) config: MonitorConfig,
    @Inject(SERVICE_LOGGER) logger: Logger,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly bus: BusClient,
    private readonly sampler: ResourceSampler,
    private readonly policy: ResourcePolicy,
    private readonly activity: ActivityTracker,
    private readonly admission: JobAdmission,
    private readonly processes: ServiceProcessTable,
  ) {
    this.settings = config.monitor;
    this.logger = logger.child({ context: 'ResourceMonitor' });
  }

  onApplicationBootstrap(): void {
    // The first reading comes one interval in: CPU use is measured over the time since the previous reading. Readings
    // land on the wall clock's multiples of the interval, with the services' heartbeats and probes (issue 18).
    this.timer.arm(this.settings.sampleIntervalMs);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.timer.stop();
  }

  /** One round; never two at once (a call while one is reading returns at once). */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      // Not awaited: a slow idle probe (PowerShell starts in about a second) must not delay the reading.
      void this.activity
        .pollOsIdle(this.clock.now())
        .then((read) => read && this.applyAdmission())
        .catch((error: unknown) => this.logger.error({ err: error }, 'Applying admission after an idle-time reading failed'));
      const reading = await this.sampler.sample();
      this.latest = reading;
      this.judge(reading);
      this.admission.expireLeases(reading.sampledAtMs);
      this.applyAdmission();
      // Once per wall-clock window of the publish interval: readings land just past the calm interval's multiples,
      // so a difference of the two times could fall a millisecond short and skip a window.
      const { publishIntervalMs } = this.settings;
      if (Math.floor(reading.sampledAtMs / publishIntervalMs) !== Math.floor(this.lastPublishedMs / publishIntervalMs)) {
        this.lastPublishedMs = reading.sampledAtMs;
        this.bus
          .publish(MonitorTopics.resourceSample, toResourceSampleMessage(reading))
          .catch((error: unknown) => this.logger.debug({ err: error }, 'Sample not sent'));
      }
      if (this.tickFailing) this.logger.info('Resource readings work again');
      this.tickFailing = false;
    } catch (error) {
      if (!this.tickFailing) this.logger.error({ err: error }, 'A resource reading failed; the state stays as it was until readings work again');
      this.tickFailing = true;
    } finally {
      this.ticking = false;
    }
  }

  /** The calm interval while the state is settled and no job is in the monitor's hands, else the sample interval. */
  private nextIntervalMs(): number {
    const { sampleIntervalMs, calmSampleIntervalMs } = this.settings;
    if (!this.policy.settled) return sampleIntervalMs;
    const { running, queued, paused } = this.admission.status();
    return running + queued + paused === 0 ? Math.max(sampleIntervalMs, calmSampleIntervalMs) : sampleIntervalMs;
  }

  /** A job arrived while readings were calm: the next reading comes within the sample interval, not the calm one. */
  jobSubmitted(): void {
    if (!this.stopped && !this.ticking) this.timer.arm(this.settings.sampleIntervalMs);
  }

  private judge(reading: ResourceReading): void {
    const verdict = this.policy.evaluate(reading);
    this.verdict = verdict;
    if (!verdict.changed) return;
    this.stateSinceMs = reading.sampledAtMs;
    const fields = {
      state: stateName(verdict.state),
      previous: stateName(verdict.previous),
      conditions: verdict.conditions.map((condition) => condition.code),
    };
    if (verdict.state === ResourceState.NORMAL) this.logger.info(fields, `Resources ${verdict.reason}`);
    else this.logger.warn(fields, `Resources ${verdict.reason}`);
    this.bus
      .publish(MonitorTopics.resourceState, {
        state: verdict.state,
        previous: verdict.previous,
        conditions: [...verdict.conditions],
        reason: verdict.reason,
        changedAt: timestampFromMs(reading.sampledAtMs),
      })
      .catch((error: unknown) => this.logger.warn({ err: error }, 'The resource state change was not sent'));
  }

  /** Admission follows the resource state and user activity; applied on every reading and every activity change. */
  applyAdmission(): void {
    const verdict = this.verdict;
    this.admission.update({
      // Until the first reading, nothing is known to be short: admit as normal.
      resourceState: verdict?.state ?? ResourceState.NORMAL,
      resourceReason: verdict?.reason ?? 'normal: not sampled yet',
      backgroundConditions: (verdict?.conditions ?? [])
        .filter((condition) => condition.level === ResourceState.UNSPECIFIED)
        .map((condition) => condition.message),
      userActivity: this.activity.view(this.clock.now()),
    });
  }

  activityReported(kind: ActivityKind, occurredAtMs: number | undefined, client: string): void {
    if (this.activity.report(kind, occurredAtMs, client, this.clock.now())) this.applyAdmission();
  }

  serviceHeard(service: string, instanceId: string, pid: number, intervalMs?: number): void {
    this.processes.heard(service, instanceId, pid, this.clock.now(), intervalMs);
  }

  serviceStopped(service: string, instanceId: string): void {
    this.processes.stopped(instanceId);
    const cancelled = this.admission.submitterStopped(instanceId, service);
    if (cancelled > 0) this.logger.info({ service, instanceId, cancelled }, `Cancelled the jobs of ${service}, which stopped`);
  }

  status(): ResourceStatusResponse {
    const verdict = this.verdict;
    return create(ResourceStatusResponseSchema, {
      ...(this.latest ? { sample: toResourceSampleMessage(this.latest) } : {}),
      state: verdict?.state ?? ResourceState.UNSPECIFIED,
      conditions: [...(verdict?.conditions ?? [])],
      ...(this.stateSinceMs !== undefined ? { stateSince: timestampFromMs(this.stateSinceMs) } : {}),
      activity: this.activity.status(this.clock.now()),
      memoryLimits: {
        constrainedAvailablePercent: this.settings.policy.minAvailableMemoryPercent,
        criticalAvailablePercent: this.settings.policy.criticalAvailableMemoryPercent,
      },
    });
  }
}
