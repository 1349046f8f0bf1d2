import { baseConfigSchema, configBoolean, configInteger, z } from '@aico/config';

const percent = z.coerce.number().min(0).max(100);

export const monitorConfigSchema = baseConfigSchema.extend({
  monitor: z
    .object({
      /** CPU and memory are read this often; the policy judges every reading. */
      sampleIntervalMs: configInteger.min(100).default(1_000),
      /**
       * ...and this often while calm: the state normal, no reading past a limit, no job waiting, running or paused.
       * Each reading wakes the monitor; at one a second it was a quarter of the idle system's CPU (issue 18). A
       * reading past a limit or a job brings back the sample interval at once. At most the sample interval turns it off.
       */
      calmSampleIntervalMs: configInteger.min(100).default(5_000),
      /** `system.resources.sample` is published this often (storage keeps bus events; one a second is noise). */
      publishIntervalMs: configInteger.min(100).default(5_000),
      /** The battery is read this often (cheap on Linux; a child process on macOS and Windows). */
      batteryIntervalMs: configInteger.min(100).default(30_000),
      /** aico's processes are looked up this often (/proc on Linux; elsewhere systeminformation lists every process). */
      processIntervalMs: configInteger.min(100).default(10_000),
      /**
       * Read CPU load, memory and battery from this JSON file (a recorded sample, read again at every reading)
       * instead of the machine: for tests and demonstrations of the policies. Unset on a real installation.
       */
      samplesFile: z.string().min(1).optional(),
      policy: z
        .object({
          /** CPU busier than this (all cores together) makes the state constrained... */
          maxCpuPercent: percent.default(85),
          /** ...and busier than this, critical. 100 turns a rule off. */
          criticalCpuPercent: percent.default(97),
          /** Less available memory than this share makes the state constrained... */
          minAvailableMemoryPercent: percent.default(15),
          /** ...and less than this, critical. 0 turns a rule off. */
          criticalAvailableMemoryPercent: percent.default(5),
          /** On battery below this charge, the state is constrained... */
          lowBatteryPercent: percent.default(20),
          /** ...and below this, critical. */
          criticalBatteryPercent: percent.default(10),
          /** On battery below this charge, background jobs wait (the state may still be normal). */
          backgroundMinBatteryPercent: percent.default(50),
          /** A rule that holds clears only once its value is this many points back on the good side of its limit. */
          hysteresisPercent: percent.default(5),
          /** Consecutive readings past a limit before a rule holds (one busy second is not a busy machine)... */
          enterAfterSamples: configInteger.min(1).default(3),
          /** ...and back inside it before the rule clears. Unplugged-then-plugged power clears battery rules at once. */
          exitAfterSamples: configInteger.min(1).default(5),
        })
        .strict()
        .prefault({}),
      activity: z
        .object({
          /** The user counts as active this long after the newest input, presence report or OS-reported activity. */
          idleAfterMs: configInteger.min(1_000).default(120_000),
          /** The OS idle time is read this often (a child process each time; PowerShell is read at most once a minute). */
          osIdleIntervalMs: configInteger.min(100).default(10_000),
          /** Read the OS idle time at all (loginctl/xprintidle, ioreg, GetLastInputInfo). */
          osIdle: configBoolean.default(true),
        })
        .strict()
        .prefault({}),
      jobs: z
        .object({
          /** Slots shared by llm and background jobs in each resource state (interactive jobs never wait for one). */
          normalConcurrency: configInteger.min(1).default(2),
          constrainedConcurrency: configInteger.min(1).default(1),
          criticalConcurrency: configInteger.min(1).default(1),
          /** While resources are critical, llm jobs wait too (inference takes memory and cores). */
          holdLlmWhenCritical: configBoolean.default(true),
          /** Queued plus paused jobs at most; a submit beyond is refused. */
          maxWaiting: configInteger.min(1).default(1_000),
          /** How long an admitted job may hold its slot without completing, unless it asks for another lease... */
          defaultLeaseMs: configInteger.min(1_000).default(10 * 60_000),
          /** ...which may be at most this long. */
          maxLeaseMs: configInteger.min(1_000).default(24 * 60 * 60_000),
          /** Finished jobs kept for `jobs.queue.list` (the bus events are kept by storage). */
          finishedHistory: configInteger.min(0).default(200),
        })
        .strict()
        .prefault({}),
    })
    .strict()
    .prefault({}),
});

export type MonitorConfig = z.infer<typeof monitorConfigSchema>;
export type MonitorSettings = MonitorConfig['monitor'];
export type ResourcePolicySettings = MonitorSettings['policy'];
export type JobSettings = MonitorSettings['jobs'];
