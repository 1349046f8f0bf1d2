// A machine read from a file instead of the operating system (`monitor.samplesFile`): CPU load, memory and battery
// as a recorded sample says, read again at every reading, so a test or a demonstration puts the monitor in a given
// state (critical, constrained, on battery) and changes it by writing another sample — the same policy, admission
// and events as on a real machine, without waiting for the machine to be short of something. aico's own processes
// and the load average are still read from the system.
import { readFileSync } from 'node:fs';
import { z } from '@aico/config';
import type { LoadAverageReading, MemoryReading } from './resource-reading';
import type { BatteryReading } from './resource-reading';
import { SystemInformationProbe, type CpuTimes, type OsProcessUsage, type SystemProbe } from './system-probe';

const recordedSampleSchema = z
  .object({
    /** Busy share of all cores together, 0-100. */
    cpuPercent: z.number().min(0).max(100).default(0),
    memory: z
      .object({
        totalBytes: z.number().positive(),
        availableBytes: z.number().min(0),
        swapTotalBytes: z.number().min(0).default(0),
        swapUsedBytes: z.number().min(0).default(0),
      })
      .strict()
      .refine((memory) => memory.availableBytes <= memory.totalBytes, 'availableBytes is more than totalBytes'),
    battery: z
      .object({
        percent: z.number().min(0).max(100),
        acConnected: z.boolean(),
        charging: z.boolean().default(false),
        minutesRemaining: z.number().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type RecordedSample = z.input<typeof recordedSampleSchema>;

/** CPU time the probe reports per reading (any amount works: the sampler only takes shares of it). */
const CPU_MS_PER_READING = 1_000;

export class RecordedSampleProbe implements SystemProbe {
  private sample: z.output<typeof recordedSampleSchema> | undefined;
  private problem: Error | undefined;
  private readonly times = { user: 0, system: 0, idle: 0 };

  constructor(
    private readonly file: string,
    private readonly system: Pick<SystemProbe, 'loadAverage' | 'processes'> = new SystemInformationProbe(),
  ) {}

  /** The sampler reads CPU times first in every reading: the file is read here, for the whole reading. */
  cpuTimes(): CpuTimes {
    this.read();
    const busy = ((this.sample?.cpuPercent ?? 0) / 100) * CPU_MS_PER_READING;
    this.times.user += busy;
    this.times.idle += CPU_MS_PER_READING - busy;
    return { ...this.times, cores: 1 };
  }

  loadAverage(): LoadAverageReading {
    return this.system.loadAverage();
  }

  memory(): Promise<MemoryReading> {
    if (!this.sample) return Promise.reject(this.problem ?? new Error(`no recorded sample read from ${this.file} yet`));
    return Promise.resolve(this.sample.memory);
  }

  battery(): Promise<Omit<BatteryReading, 'sampledAtMs'>> {
    const battery = this.sample?.battery;
    if (!battery) return Promise.resolve({ hasBattery: false, percent: 0, acConnected: true, charging: false, minutesRemaining: undefined });
    return Promise.resolve({
      hasBattery: true,
      percent: battery.percent,
      acConnected: battery.acConnected,
      charging: battery.charging,
      minutesRemaining: battery.minutesRemaining,
    });
  }

  processes(pids: readonly number[]): Promise<readonly OsProcessUsage[]> {
    return this.system.processes(pids);
  }

  /** A file that cannot be read or is not a sample fails the reading (the monitor logs it and keeps its state). */
  private read(): void {
    try {
      this.sample = recordedSampleSchema.parse(JSON.parse(readFileSync(this.file, 'utf8')));
      this.problem = undefined;
    } catch (error) {
      this.sample = undefined;
      this.problem = new Error(
        `The recorded sample ${this.file} cannot be used: ${error instanceof z.ZodError ? z.prettifyError(error) : (error as Error).message}`,
      );
    }
  }
}
