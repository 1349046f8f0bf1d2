// The monitor's resource samples of the last minutes, kept for the status chart. Fed from `system.resources.sample`
// pushes (protobuf JSON, typed by the contracts' generated JSON types), trimmed to a time window; screens subscribe
// to changes.
import type { ResourceSampleJson } from '@aico/contracts';

export interface ResourcePoint {
  readonly at: number;
  readonly cpuPercent: number;
  readonly memoryUsedPercent: number;
  readonly onBattery: boolean;
  readonly batteryPercent: number | undefined;
}

export class ResourceHistory {
  private points: readonly ResourcePoint[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(private readonly windowMs: number) {}

  get current(): readonly ResourcePoint[] {
    return this.points;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Adds one sample (a JSON payload); one without a time or a CPU reading is ignored. */
  add(payload: unknown): void {
    const sample = payload as ResourceSampleJson | null;
    const at = sample?.sampledAt ? Date.parse(sample.sampledAt) : NaN;
    const cpu = finite(sample?.cpu?.loadPercent);
    if (!Number.isFinite(at) || cpu === undefined) return;
    const battery = sample?.battery;
    const point: ResourcePoint = {
      at,
      cpuPercent: clamp(cpu),
      memoryUsedPercent: clamp(100 - (finite(sample?.memory?.availablePercent) ?? 100)),
      onBattery: battery?.hasBattery === true && battery.acConnected !== true,
      batteryPercent: battery?.hasBattery ? (finite(battery.percent) ?? 0) : undefined,
    };
    const newest = this.points.at(-1)?.at ?? -Infinity;
    const kept = [...this.points, point].sort((a, b) => a.at - b.at).filter((p) => p.at >= Math.max(newest, at) - this.windowMs);
    this.points = kept;
    for (const listener of this.listeners) listener();
  }
}

const clamp = (value: number) => Math.min(100, Math.max(0, value));
/** A protobuf JSON double: a number, or "NaN"/"Infinity" as strings, or absent (zero). */
const finite = (value: number | string | undefined): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
