// Takes readings in tiers: CPU, load average and memory on every call (cheap: in-process and /proc); the battery and
// aico's processes only when their interval has passed (a child process on macOS and Windows), reusing
// the previous result in between. A failing source is logged once and never fails the reading.
import type { Logger } from '@aico/logging';
import type { Clock } from '../monitor.tokens';
import type { BatteryReading, CpuReading, ProcessUsageReading, ResourceReading } from './resource-reading';
import type { ServiceProcessTable } from './service-processes';
import type { CpuTimes, OsProcessUsage, SystemProbe } from './system-probe';

export interface SamplerIntervals {
  readonly batteryIntervalMs: number;
  readonly processIntervalMs: number;
}

/** What the sample says while the battery cannot be read: no battery rules apply. */
const UNKNOWN_BATTERY: Omit<BatteryReading, 'sampledAtMs'> = { hasBattery: false, percent: 0, acConnected: true, charging: false, minutesRemaining: undefined };

export class ResourceSampler {
  private previousCpu: CpuTimes;
  private battery: BatteryReading | undefined;
  private batteryDueMs = 0;
  private listing: { readonly atMs: number; readonly byPid: ReadonlyMap<number, OsProcessUsage> } | undefined;
  /** The pids known at the last listing attempt. */
  private lookedUp: ReadonlySet<number> = new Set();
  private processesDueMs = 0;
  private readonly failing = new Set<string>();

  constructor(
    private readonly probe: SystemProbe,
    private readonly services: ServiceProcessTable,
    private readonly intervals: SamplerIntervals,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    // The first reading's CPU covers the time since construction.
    this.previousCpu = probe.cpuTimes();
  }

  async sample(): Promise<ResourceReading> {
    const nowMs = this.clock.now();
    const cpu = this.readCpu();
    const loadAverage = this.probe.loadAverage();
    const [memory] = await Promise.all([this.probe.memory(), this.refreshBattery(nowMs), this.refreshProcesses(nowMs)]);
    return { sampledAtMs: nowMs, cpu, memory, loadAverage, battery: this.battery!, processes: this.processUsage(nowMs) };
  }

  private readCpu(): CpuReading {
    const times = this.probe.cpuTimes();
    const user = times.user - this.previousCpu.user;
    const system = times.system - this.previousCpu.system;
    const total = user + system + (times.idle - this.previousCpu.idle);
    this.previousCpu = times;
    if (total <= 0) return { loadPercent: 0, userPercent: 0, systemPercent: 0, cores: times.cores };
    const share = (value: number) => Math.min(100, Math.max(0, (value / total) * 100));
    return { loadPercent: share(user + system), userPercent: share(user), systemPercent: share(system), cores: times.cores };
  }

  private async refreshBattery(nowMs: number): Promise<void> {
    if (this.battery && nowMs < this.batteryDueMs) return;
    this.batteryDueMs = nowMs + this.intervals.batteryIntervalMs;
    const battery = await this.attempt('battery', () => this.probe.battery());
    this.battery = { ...(battery ?? this.battery ?? UNKNOWN_BATTERY), sampledAtMs: battery ? nowMs : (this.battery?.sampledAtMs ?? nowMs) };
  }

  private async refreshProcesses(nowMs: number): Promise<void> {
    const pids = this.services.current(nowMs).map((process) => process.pid);
    if (pids.length === 0) return;
    // A process heard from since the last listing is looked up at once rather than reported missing until the next.
    const unseen = pids.some((pid) => !this.lookedUp.has(pid));
    if (!unseen && nowMs < this.processesDueMs) return;
    this.processesDueMs = nowMs + this.intervals.processIntervalMs;
    this.lookedUp = new Set(pids);
    const list = await this.attempt('process list', () => this.probe.processes(pids));
    if (list) this.listing = { atMs: nowMs, byPid: new Map(list.map((entry) => [entry.pid, entry])) };
  }

  private processUsage(nowMs: number): ProcessUsageReading[] {
    const listing = this.listing;
    return this.services.current(nowMs).map(({ service, instanceId, pid }) => {
      const usage = listing?.byPid.get(pid);
      return {
        service,
        instanceId,
        pid,
        found: usage !== undefined,
        cpuPercent: usage?.cpuPercent ?? 0,
        rssBytes: usage?.rssBytes ?? 0,
        sampledAtMs: listing?.atMs ?? nowMs,
      };
    });
  }

  private async attempt<T>(source: string, read: () => Promise<T>): Promise<T | undefined> {
    try {
      const value = await read();
      if (this.failing.delete(source)) this.logger.info({ source }, `Reading the ${source} works again`);
      return value;
    } catch (error) {
      if (!this.failing.has(source)) {
        this.failing.add(source);
        this.logger.warn({ source, err: error }, `Cannot read the ${source}; samples go on without it until it can be read again`);
      }
      return undefined;
    }
  }
}
