// A task as the scheduler keeps it, and its three outside forms: the definition a service registers
// (TaskDefinition), the record storage keeps (ScheduledTask), and what list answers (TaskInfo). Every definition is
// checked here, once, with errors that name the field and say what is allowed.
import { fromBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import {
  mayPublish,
  MissedRunPolicy,
  type ScheduledTask,
  type ScheduledTaskSchema,
  type TaskDefinition,
  type TaskDefinitionSchema,
  type TaskInfoSchema,
  type TopicRegistry,
} from '@aico/contracts';
import { MAX_ATTEMPTS, type RetrySettings } from './retry-policy';
import { checkSchedule, ScheduleError, type TaskSchedule } from './schedule';
import { SchedulerError, SchedulerErrorCode } from './scheduler.error';

export type MissedPolicy = 'run-once' | 'skip';

/** What a task is: the validated definition. */
export interface TaskSpec {
  readonly name: string;
  readonly schedule: TaskSchedule;
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly timeoutMs: number;
  readonly retry: RetrySettings;
  readonly missedRunPolicy: MissedPolicy;
  readonly description: string;
}

export interface Task extends TaskSpec {
  readonly owner: string;
  readonly builtIn: boolean;
  readonly paused: boolean;
}

export interface TaskDefaults {
  /** The time zone of cron expressions that name none ('' = the machine's). */
  readonly timeZone: string;
  readonly timeoutMs: number;
}

export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,127}$/;
/** One attempt may take at most a day; a longer job belongs in a job queue, not a schedule. */
export const MAX_TIMEOUT_MS = 86_400_000;
const DEFAULT_INITIAL_BACKOFF_MS = 1_000;
const DEFAULT_MAX_BACKOFF_MS = 60_000;

const invalid = (message: string, field: string): SchedulerError => new SchedulerError(SchedulerErrorCode.InvalidTask, message, { field });

export function checkName(name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw invalid(`A task name must be 1 to 128 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit; got "${name}".`, 'name');
  }
  return name;
}

export function missedPolicyFromWire(policy: MissedRunPolicy): MissedPolicy {
  switch (policy) {
    case MissedRunPolicy.RUN_ONCE:
      return 'run-once';
    case MissedRunPolicy.SKIP:
      return 'skip';
    case MissedRunPolicy.UNSPECIFIED:
      throw invalid('State the missed-run policy: RUN_ONCE (catch up once at start) or SKIP (wait for the next occurrence).', 'missed_run_policy');
  }
}

export function missedPolicyToWire(policy: MissedPolicy): MissedRunPolicy {
  switch (policy) {
    case 'run-once':
      return MissedRunPolicy.RUN_ONCE;
    case 'skip':
      return MissedRunPolicy.SKIP;
  }
}

function missedPolicyFromText(text: string): MissedPolicy {
  if (text === 'run-once' || text === 'skip') return text;
  throw invalid(`Unknown missed-run policy "${text}".`, 'missed_run_policy');
}

export function checkRetry(retry: { maxAttempts: number; initialBackoffMs: number; maxBackoffMs: number; jitter: number } | undefined): RetrySettings {
  const maxAttempts = Math.max(1, retry?.maxAttempts ?? 1);
  if (maxAttempts > MAX_ATTEMPTS) throw invalid(`retry.max_attempts is at most ${MAX_ATTEMPTS}; got ${maxAttempts}.`, 'retry.max_attempts');
  const given = retry && (retry.initialBackoffMs > 0 || retry.maxBackoffMs > 0);
  const initialBackoffMs = given ? retry.initialBackoffMs : DEFAULT_INITIAL_BACKOFF_MS;
  // A cap of 0 with an initial backoff means "no growth": every retry waits the initial time.
  const maxBackoffMs = given ? retry.maxBackoffMs || retry.initialBackoffMs : DEFAULT_MAX_BACKOFF_MS;
  if (maxBackoffMs < initialBackoffMs) {
    throw invalid(`retry.max_backoff_ms (${maxBackoffMs}) is below retry.initial_backoff_ms (${initialBackoffMs}).`, 'retry.max_backoff_ms');
  }
  const jitter = retry?.jitter ?? 0;
  if (!Number.isFinite(jitter) || jitter < 0 || jitter > 1) throw invalid(`retry.jitter is a fraction from 0 to 1; got ${jitter}.`, 'retry.jitter');
  return { maxAttempts, initialBackoffMs, maxBackoffMs, jitter };
}

function checkTimeout(timeoutMs: number, defaults: TaskDefaults): number {
  const value = timeoutMs || defaults.timeoutMs;
  if (value > MAX_TIMEOUT_MS) throw invalid(`timeout_ms is at most ${MAX_TIMEOUT_MS} (a day); got ${value}.`, 'timeout_ms');
  return value;
}

function checkedSchedule(schedule: TaskSchedule): TaskSchedule {
  try {
    checkSchedule(schedule);
  } catch (error) {
    if (error instanceof ScheduleError) throw invalid(error.message, 'schedule');
    throw error;
  }
  return schedule;
}

/**
 * The topic must be registered, the scheduler must be allowed to send it, and the payload must decode as the
 * topic's payload type. The scheduler's own topics are refused: a task that triggers tasks could loop.
 */
export function checkTopic(topic: string, payload: Uint8Array, registry: TopicRegistry): void {
  const definition = registry.get(topic);
  if (!definition) throw invalid(`Topic "${topic}" is not in the topic registry; a task can only send registered topics.`, 'topic');
  if (topic.startsWith('scheduler.')) throw invalid(`A task may not send the scheduler's own topic "${topic}".`, 'topic');
  if (!mayPublish(definition.publishers, 'scheduler')) {
    throw invalid(
      `The scheduler may not ${definition.kind === 'request' ? 'request' : 'publish'} "${topic}" (the registry allows: ${(definition.publishers as readonly string[]).join(', ')}).`,
      'topic',
    );
  }
  try {
    fromBinary(definition.payload, payload);
  } catch (error) {
    throw invalid(`The payload does not decode as ${definition.payload.typeName}, the payload type of "${topic}": ${(error as Error).message}.`, 'payload');
  }
}

export function specFromDefinition(definition: TaskDefinition | undefined, registry: TopicRegistry, defaults: TaskDefaults): TaskSpec {
  if (!definition) throw invalid('The request carries no task.', 'task');
  const name = checkName(definition.name);
  const wire = definition.schedule?.kind;
  let schedule: TaskSchedule;
  if (wire?.case === 'cron') schedule = { kind: 'cron', expression: wire.value.trim(), timeZone: definition.schedule!.timeZone || defaults.timeZone };
  else if (wire?.case === 'intervalMs') schedule = { kind: 'interval', intervalMs: Number(wire.value) };
  else throw invalid('A task needs a schedule: a cron expression or an interval in milliseconds.', 'schedule');
  checkTopic(definition.topic, definition.payload, registry);
  return {
    name,
    schedule: checkedSchedule(schedule),
    topic: definition.topic,
    payload: definition.payload,
    timeoutMs: checkTimeout(definition.timeoutMs, defaults),
    retry: checkRetry(definition.retry),
    missedRunPolicy: missedPolicyFromWire(definition.missedRunPolicy),
    description: definition.description,
  };
}

export function specToDefinition(spec: TaskSpec): MessageInitShape<typeof TaskDefinitionSchema> {
  return {
    name: spec.name,
    schedule:
      spec.schedule.kind === 'cron'
        ? { kind: { case: 'cron', value: spec.schedule.expression }, timeZone: spec.schedule.timeZone }
        : { kind: { case: 'intervalMs', value: BigInt(spec.schedule.intervalMs) } },
    topic: spec.topic,
    payload: spec.payload,
    timeoutMs: spec.timeoutMs,
    retry: { ...spec.retry },
    missedRunPolicy: missedPolicyToWire(spec.missedRunPolicy),
    description: spec.description,
  };
}

export function taskToRecord(task: Task, nextRunAt: number | undefined): MessageInitShape<typeof ScheduledTaskSchema> {
  return {
    id: task.name,
    schedule: task.schedule.kind === 'cron' ? task.schedule.expression : '',
    intervalMs: task.schedule.kind === 'interval' ? BigInt(task.schedule.intervalMs) : 0n,
    timeZone: task.schedule.kind === 'cron' ? task.schedule.timeZone : '',
    enabled: !task.paused,
    topic: task.topic,
    payload: task.payload,
    maxAttempts: task.retry.maxAttempts,
    backoffInitialMs: task.retry.initialBackoffMs,
    backoffMaxMs: task.retry.maxBackoffMs,
    backoffJitter: task.retry.jitter,
    timeoutMs: task.timeoutMs,
    missedRunPolicy: task.missedRunPolicy,
    owner: task.owner,
    description: task.description,
    ...(nextRunAt === undefined ? {} : { nextRunAt: timestampFromMs(nextRunAt) }),
  };
}

/** A stored registration back as a task; throws a SchedulerError when the record no longer makes a valid task. */
export function taskFromRecord(record: ScheduledTask, registry: TopicRegistry, defaults: TaskDefaults): { task: Task; nextRunAt: number | undefined } {
  const schedule: TaskSchedule =
    record.intervalMs > 0n
      ? { kind: 'interval', intervalMs: Number(record.intervalMs) }
      : { kind: 'cron', expression: record.schedule, timeZone: record.timeZone };
  checkTopic(record.topic, record.payload, registry);
  const task: Task = {
    name: checkName(record.id),
    schedule: checkedSchedule(schedule),
    topic: record.topic,
    payload: record.payload,
    timeoutMs: checkTimeout(record.timeoutMs, defaults),
    retry: checkRetry({
      maxAttempts: record.maxAttempts,
      initialBackoffMs: record.backoffInitialMs,
      maxBackoffMs: record.backoffMaxMs,
      jitter: record.backoffJitter,
    }),
    missedRunPolicy: missedPolicyFromText(record.missedRunPolicy),
    description: record.description,
    owner: record.owner,
    builtIn: false,
    paused: !record.enabled,
  };
  return { task, nextRunAt: record.nextRunAt ? timestampMs(record.nextRunAt) : undefined };
}

export function taskInfo(task: Task, nextRunAt: number | undefined, running: boolean): MessageInitShape<typeof TaskInfoSchema> {
  return {
    definition: specToDefinition(task),
    owner: task.owner,
    builtIn: task.builtIn,
    paused: task.paused,
    running,
    ...(nextRunAt === undefined ? {} : { nextRunAt: timestampFromMs(nextRunAt) }),
  };
}
