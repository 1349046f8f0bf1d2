// One reading of the machine in plain numbers: what the sampler produces, the policy judges and tests record.
// It becomes a `ResourceSample` message only when published.
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { ResourceSampleSchema, type ResourceSample } from '@aico/contracts';

export interface CpuReading {
  /** Busy share of all cores together since the previous reading, 0-100. */
  readonly loadPercent: number;
  readonly userPercent: number;
  readonly systemPercent: number;
  readonly cores: number;
}

export interface MemoryReading {
  readonly totalBytes: number;
  readonly availableBytes: number;
  readonly swapTotalBytes: number;
  readonly swapUsedBytes: number;
}

export interface BatteryReading {
  readonly hasBattery: boolean;
  readonly percent: number;
  readonly acConnected: boolean;
  readonly charging: boolean;
  /** Undefined when the platform gives no estimate. */
  readonly minutesRemaining: number | undefined;
  readonly sampledAtMs: number;
}

export interface LoadAverageReading {
  readonly available: boolean;
  readonly oneMinute: number;
  readonly fiveMinutes: number;
  readonly fifteenMinutes: number;
}

export interface ProcessUsageReading {
  readonly service: string;
  readonly instanceId: string;
  readonly pid: number;
  readonly found: boolean;
  readonly cpuPercent: number;
  readonly rssBytes: number;
  readonly sampledAtMs: number;
}

export interface ResourceReading {
  readonly sampledAtMs: number;
  readonly cpu: CpuReading;
  readonly memory: MemoryReading;
  readonly battery: BatteryReading;
  readonly loadAverage: LoadAverageReading;
  readonly processes: readonly ProcessUsageReading[];
}

export function availableMemoryPercent(memory: MemoryReading): number {
  return memory.totalBytes > 0 ? (memory.availableBytes / memory.totalBytes) * 100 : 100;
}

/** On battery power: the only time battery rules apply. */
export function onBatteryPower(battery: BatteryReading): boolean {
  return battery.hasBattery && !battery.acConnected;
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

export function toResourceSampleMessage(reading: ResourceReading): ResourceSample {
  const { cpu, memory, battery, loadAverage } = reading;
  return create(ResourceSampleSchema, {
    sampledAt: timestampFromMs(reading.sampledAtMs),
    cpu: { loadPercent: round2(cpu.loadPercent), userPercent: round2(cpu.userPercent), systemPercent: round2(cpu.systemPercent), cores: cpu.cores },
    memory: {
      totalBytes: BigInt(memory.totalBytes),
      availableBytes: BigInt(memory.availableBytes),
      availablePercent: round2(availableMemoryPercent(memory)),
      swapTotalBytes: BigInt(memory.swapTotalBytes),
      swapUsedBytes: BigInt(memory.swapUsedBytes),
    },
    battery: {
      hasBattery: battery.hasBattery,
      percent: battery.percent,
      acConnected: battery.acConnected,
      charging: battery.charging,
      minutesRemaining: battery.minutesRemaining ?? 0,
      sampledAt: timestampFromMs(battery.sampledAtMs),
    },
    loadAverage: { ...loadAverage },
    processes: reading.processes.map((process) => ({
      service: process.service,
      instanceId: process.instanceId,
      pid: process.pid,
      found: process.found,
      cpuPercent: round2(process.cpuPercent),
      rssBytes: BigInt(process.rssBytes),
      sampledAt: timestampFromMs(process.sampledAtMs),
    })),
  });
}
