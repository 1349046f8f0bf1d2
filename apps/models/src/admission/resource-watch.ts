// What the monitor says about resources, as far as the models service acts on it: whether they are critical (the
// model is unloaded and generations wait) and whether the machine runs on battery (a shorter keep-alive). Learned
// from `system.resources.state` and `.sample` as they come, and asked once (`system.resources.status`) at start and
// whenever a monitor announces itself, so a service started after a state change still knows it.
import type { BusClient } from '@aico/bus';
import { MonitorTopics, ResourceState, SystemTopics, type BatteryStatus, type ResourceCondition } from '@aico/contracts';
import type { Logger } from '@aico/logging';

export interface ResourceListener {
  /** A reason while resources are critical, undefined once they are not. */
  critical(reason: string | undefined): void;
  onBattery(onBattery: boolean): void;
}

const describe = (conditions: readonly ResourceCondition[], fallback: string): string =>
  conditions
    .filter((condition) => condition.level === ResourceState.CRITICAL)
    .map((condition) => condition.message)
    .filter(Boolean)
    .join('; ') ||
  fallback ||
  'critical';

export class ResourceWatch {
  private state = ResourceState.UNSPECIFIED;
  private battery = false;
  private reason = '';
  private criticalAvailablePercent = 0;

  constructor(
    private readonly bus: BusClient,
    private readonly listener: ResourceListener,
    private readonly logger: Logger,
    private readonly statusTimeoutMs: number,
  ) {
    bus.subscribe(MonitorTopics.resourceState, (event) => this.apply(event.payload.state, describe(event.payload.conditions, event.payload.reason)));
    bus.subscribe(MonitorTopics.resourceSample, (event) => this.applyBattery(event.payload.battery));
    bus.subscribe(SystemTopics.serviceReady, (event) => {
      if (event.source === 'monitor' && event.payload.service === 'monitor') void this.ask();
    });
  }

  get critical(): boolean {
    return this.state === ResourceState.CRITICAL;
  }

  get onBattery(): boolean {
    return this.battery;
  }

  /**
   * Memory a model must leave available: the monitor's critical limit (a share of `totalBytes`). A load that took
   * available memory below it would make resources critical, and the model would be unloaded at once.
   */
  memoryFloorBytes(totalBytes: number): number {
    return Math.round((totalBytes * this.criticalAvailablePercent) / 100);
  }

  /** Asks the monitor how things stand (best effort: without a monitor, nothing is known to be critical). */
  async ask(): Promise<void> {
    try {
      const status = await this.bus.request(MonitorTopics.resourceStatus, {}, { timeoutMs: this.statusTimeoutMs });
      this.apply(status.state, describe(status.conditions, ''));
      this.applyBattery(status.sample?.battery);
      const critical = Math.min(100, Math.max(0, status.memoryLimits?.criticalAvailablePercent ?? 0));
      if (critical !== this.criticalAvailablePercent) {
        this.criticalAvailablePercent = critical;
        this.logger.info({ criticalAvailablePercent: critical }, 'The monitor’s memory limits: a model load leaves its critical share of memory available');
      }
    } catch (error) {
      this.logger.debug({ err: error }, 'The monitor did not say how resources stand (yet)');
    }
  }

  private apply(state: ResourceState, reason: string): void {
    const wasCritical = this.critical;
    this.state = state;
    if (this.critical && (!wasCritical || reason !== this.reason)) {
      this.reason = reason;
      this.logger.warn({ reason }, 'Resources are critical: the model is unloaded and generations wait');
      this.listener.critical(reason);
    } else if (!this.critical && wasCritical) {
      this.reason = '';
      this.logger.info('Resources recovered: generations go on');
      this.listener.critical(undefined);
    }
  }

  private applyBattery(battery: BatteryStatus | undefined): void {
    if (!battery) return;
    const onBattery = battery.hasBattery && !battery.acConnected;
    if (onBattery === this.battery) return;
    this.battery = onBattery;
    this.listener.onBattery(onBattery);
  }
}
