// One entry of the run history (an attempt, or a run that was skipped), and its stored and wire forms. Storage
// keeps status and trigger as text, the contract as enums: the mappings are exhaustive both ways.
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs, timestampMs, type Timestamp } from '@bufbuild/protobuf/wkt';
import { RunStatus, RunTrigger, type TaskRun, type TaskRunEntrySchema, type TaskRunSchema } from '@aico/contracts';

export type RunStatusName = 'running' | 'succeeded' | 'failed' | 'dead-lettered' | 'skipped' | 'interrupted';
export type RunTriggerName = 'schedule' | 'manual' | 'missed';

export interface RunEntry {
  readonly id: string;
  readonly runId: string;
  readonly task: string;
  readonly attempt: number;
  readonly status: RunStatusName;
  readonly trigger: RunTriggerName;
  readonly scheduledFor?: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  readonly error: string;
}

const STATUS_NAMES: readonly RunStatusName[] = ['running', 'succeeded', 'failed', 'dead-lettered', 'skipped', 'interrupted'];
const TRIGGER_NAMES: readonly RunTriggerName[] = ['schedule', 'manual', 'missed'];

let lastMs = 0;
let sequence = 0;

/**
 * Entry ids sort by creation (storage lists records in id order): the time, a counter within the millisecond and
 * a random tail, so ids of one process are strictly increasing and those of two processes never collide.
 */
export function newEntryId(): string {
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    sequence = 0;
  } else {
    sequence++;
  }
  const tail = Math.floor(Math.random() * 36 ** 4)
    .toString(36)
    .padStart(4, '0');
  return `${lastMs.toString(36).padStart(9, '0')}-${sequence.toString(36).padStart(4, '0')}-${tail}`;
}

export function statusToWire(status: RunStatusName): RunStatus {
  switch (status) {
    case 'running':
      return RunStatus.RUNNING;
    case 'succeeded':
      return RunStatus.SUCCEEDED;
    case 'failed':
      return RunStatus.FAILED;
    case 'dead-lettered':
      return RunStatus.DEAD_LETTERED;
    case 'skipped':
      return RunStatus.SKIPPED;
    case 'interrupted':
      return RunStatus.INTERRUPTED;
  }
}

export function triggerToWire(trigger: RunTriggerName): RunTrigger {
  switch (trigger) {
    case 'schedule':
      return RunTrigger.SCHEDULE;
    case 'manual':
      return RunTrigger.MANUAL;
    case 'missed':
      return RunTrigger.MISSED;
  }
}

const optionalTime = <K extends string>(key: K, ms: number | undefined): { [P in K]?: Timestamp } =>
  ms === undefined ? {} : ({ [key]: timestampFromMs(ms) } as { [P in K]: Timestamp });
const msOf = (timestamp: Timestamp | undefined): number | undefined => (timestamp ? timestampMs(timestamp) : undefined);

export function entryToWire(entry: RunEntry): MessageInitShape<typeof TaskRunEntrySchema> {
  return {
    id: entry.id,
    runId: entry.runId,
    task: entry.task,
    attempt: entry.attempt,
    status: statusToWire(entry.status),
    trigger: triggerToWire(entry.trigger),
    error: entry.error,
    ...optionalTime('scheduledFor', entry.scheduledFor),
    ...optionalTime('startedAt', entry.startedAt),
    ...optionalTime('finishedAt', entry.finishedAt),
  };
}

export function entryToRecord(entry: RunEntry): MessageInitShape<typeof TaskRunSchema> {
  return {
    id: entry.id,
    runId: entry.runId,
    taskId: entry.task,
    attempt: entry.attempt,
    status: entry.status,
    trigger: entry.trigger,
    error: entry.error,
    ...optionalTime('scheduledFor', entry.scheduledFor),
    ...optionalTime('startedAt', entry.startedAt),
    ...optionalTime('finishedAt', entry.finishedAt),
  };
}

/** A stored run back as an entry; text this version does not know is kept readable as the closest value. */
export function entryFromRecord(record: TaskRun): RunEntry {
  const status = STATUS_NAMES.find((name) => name === record.status) ?? 'interrupted';
  const trigger = TRIGGER_NAMES.find((name) => name === record.trigger) ?? 'schedule';
  const scheduledFor = msOf(record.scheduledFor);
  const startedAt = msOf(record.startedAt);
  const finishedAt = msOf(record.finishedAt);
  return {
    id: record.id,
    runId: record.runId,
    task: record.taskId,
    attempt: record.attempt,
    status,
    trigger,
    error: record.error,
    ...(scheduledFor === undefined ? {} : { scheduledFor }),
    ...(startedAt === undefined ? {} : { startedAt }),
    ...(finishedAt === undefined ? {} : { finishedAt }),
  };
}
