// Shared pieces of the monitor's unit tests: default settings with overrides, a clock tests step by hand, readings
// from a few numbers, and a JobAnnouncer that records.
import type { AdmissionStatus, JobStatus } from '@aico/contracts';
import type { JobAnnouncer, JobDecisionKind } from './jobs/job-admission';
import { monitorConfigSchema, type MonitorSettings } from './monitor.config';
import type { Clock } from './monitor.tokens';
import type { ResourceReading } from './resources/resource-reading';

/**
 * How long a test waits for one signal from the running app (a sample, an event, a state it reaches on its own
 * schedule) before it fails: a deadline, not a measure of speed, generous because tests share 2 busy cores.
 */
export const SIGNAL_TIMEOUT_MS = 60_000;

type Overrides = { [K in keyof MonitorSettings]?: Partial<MonitorSettings[K]> };

export function monitorSettings(overrides: Overrides = {}): MonitorSettings {
  const defaults = monitorConfigSchema.shape.monitor.parse(undefined);
  return {
    ...defaults,
    ...overrides,
    policy: { ...defaults.policy, ...overrides.policy },
    activity: { ...defaults.activity, ...overrides.activity },
    jobs: { ...defaults.jobs, ...overrides.jobs },
  };
}

export class ManualClock implements Clock {
  constructor(private nowMs = 1_800_000_000_000) {}
  now(): number {
    return this.nowMs;
  }
  advance(ms: number): number {
    this.nowMs += ms;
    return this.nowMs;
  }
}

export interface ReadingFigures {
  readonly cpu?: number;
  /** Available memory, percent of 16 GiB. */
  readonly memory?: number;
  /** Battery charge; undefined: no battery. */
  readonly battery?: number;
  readonly ac?: boolean;
}

const GIB = 1024 ** 3;

export function reading({ cpu = 10, memory = 60, battery, ac = false }: ReadingFigures, sampledAtMs = 0): ResourceReading {
  return {
    sampledAtMs,
    cpu: { loadPercent: cpu, userPercent: cpu, systemPercent: 0, cores: 8 },
    memory: { totalBytes: 16 * GIB, availableBytes: Math.round((memory / 100) * 16 * GIB), swapTotalBytes: 0, swapUsedBytes: 0 },
    battery:
      battery === undefined
        ? { hasBattery: false, percent: 0, acConnected: true, charging: false, minutesRemaining: undefined, sampledAtMs }
        : { hasBattery: true, percent: battery, acConnected: ac, charging: ac, minutesRemaining: ac ? undefined : 90, sampledAtMs },
    loadAverage: { available: true, oneMinute: 1, fiveMinutes: 1, fifteenMinutes: 1 },
    processes: [],
  };
}

export interface Announcement {
  readonly decision: JobDecisionKind;
  readonly job: JobStatus;
  readonly reason: string;
}

export class RecordingAnnouncer implements JobAnnouncer {
  readonly jobs: Announcement[] = [];
  readonly admissions: { status: AdmissionStatus; reason: string }[] = [];
  job(decision: JobDecisionKind, job: JobStatus, reason: string): void {
    this.jobs.push({ decision, job, reason });
  }
  admission(status: AdmissionStatus, reason: string): void {
    this.admissions.push({ status, reason });
  }
  /** `decision id` pairs, in order, then forgets them. */
  take(): string[] {
    return this.jobs.splice(0).map((announcement) => `${announcement.decision} ${announcement.job.id}`);
  }
}

/** Lets settled promises run their continuations (p-queue hands a freed slot on in a microtask). No timer involved. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
