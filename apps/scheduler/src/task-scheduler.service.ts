// The task registry and its timers. Loads the registrations from storage at start and applies each task's
// missed-run policy to occurrences that fell due while the scheduler was down; arms one timer per task for its next
// occurrence (persisting it, so the next start can tell what was missed); starts runs without ever running one task
// twice at once; and answers register, unregister, list, trigger, pause, resume and history.
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { BusClient } from '@aico/bus';
import {
  SCHEDULER_OPERATORS,
  type ScheduledTask,
  type TaskDefinition,
  type TaskInfoSchema,
  type TaskRunEntrySchema,
  TopicRegistry,
  type TriggerTaskResponseSchema,
} from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { BuiltInTasks } from './built-in/built-in-tasks';
import { busTaskAction } from './bus-task-action';
import type { Clock, Timer } from './clock';
import { entryToWire, newEntryId, type RunEntry, type RunTriggerName } from './run-entry';
import { RunHistory } from './run-history';
import { countOccurrences, describeSchedule, nextOccurrence, sameSchedule } from './schedule';
import type { SchedulerConfig } from './scheduler.config';
import { SchedulerError, SchedulerErrorCode } from './scheduler.error';
import { SCHEDULER_CLOCK } from './scheduler.tokens';
import { specFromDefinition, taskFromRecord, taskInfo, taskToRecord, type Task, type TaskDefaults } from './task';
import type { TaskAction } from './task-action';
import { TaskLoadGate } from './task-load-gate';
import { TaskRunner, type ActiveRun } from './task-runner';
import { TaskStore } from './task-store';
import { TaskWrites } from './task-writes';

interface Entry {
  readonly task: Task;
  readonly action: TaskAction;
  nextRunAt: number | undefined;
  timer: Timer | undefined;
  /** Replaced by a re-registration or removed: its timer must not fire, nor its state be stored again. */
  retired: boolean;
}

interface StartedRun {
  readonly runId: string;
  readonly started: boolean;
  readonly skippedReason: string;
  readonly finished: Promise<RunEntry>;
}

const BUILT_IN_OWNER = 'scheduler';
const LOAD_RETRY_MS = 1_000;
const DEFAULT_HISTORY_LIMIT = 20;
const MAX_HISTORY_LIMIT = 1_000;

@Injectable()
export class TaskScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger: Logger;
  private readonly defaults: TaskDefaults;
  private readonly entries = new Map<string, Entry>();
  /** Runs going on, by task name: kept apart from entries so a re-registration mid-run still prevents overlap. */
  private readonly running = new Map<string, ActiveRun>();
  /** Storage writes of each task's registration, in order (a later state never lands before an earlier one). */
  private readonly writes: TaskWrites;
  private readonly loaded: TaskLoadGate;
  private stopped = false;

  constructor(
    @Inject(SERVICE_CONFIG) config: SchedulerConfig,
    @Inject(SERVICE_LOGGER) logger: Logger,
    @Inject(SCHEDULER_CLOCK) private readonly clock: Clock,
    // runService's registry, the one the bus client checks against (tests run the app with their topics added).
    private readonly registry: TopicRegistry,
    private readonly bus: BusClient,
    private readonly store: TaskStore,
    private readonly runs: RunHistory,
    private readonly runner: TaskRunner,
    private readonly builtIns: BuiltInTasks,
  ) {
    this.logger = logger.child({ context: 'TaskScheduler' });
    this.defaults = { timeZone: config.scheduler.timeZone, timeoutMs: config.scheduler.defaultTimeoutMs };
    this.writes = new TaskWrites(this.logger);
    this.loaded = new TaskLoadGate(config.scheduler.readyTimeoutMs);
  }

  /** Not awaited: storage answers only once the bus is up, which happens after bootstrap. */
  onApplicationBootstrap(): void {
    this.start().catch((error: unknown) => this.logger.error({ err: error }, 'The scheduler could not start its tasks'));
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    this.runner.stop();
    for (const entry of this.entries.values()) entry.timer?.cancel();
  }

  // ---- start -------------------------------------------------------------------------------------------------

  private async start(): Promise<void> {
    const records = await this.untilStorageAnswers(() => this.store.loadTasks(), 'load the registered tasks');
    if (!records) return;
    const interrupted = await this.untilStorageAnswers(() => this.runs.markInterrupted(this.clock.now()), 'mark interrupted runs');
    if (interrupted) this.logger.warn({ attempts: interrupted }, 'Attempts that a stop cut short are marked interrupted in the run history');
    const now = this.clock.now();
    const stored = new Map(records.map((record) => [record.id, record]));
    for (const builtIn of this.builtIns.tasks()) {
      const record = stored.get(builtIn.spec.name);
      stored.delete(builtIn.spec.name);
      const previous = record?.owner === BUILT_IN_OWNER ? this.previousState(record) : undefined;
      const task: Task = { ...builtIn.spec, owner: BUILT_IN_OWNER, builtIn: true, paused: previous?.paused ?? false };
      this.resumeAtStart(task, builtIn.action, previous?.nextRunAt, previous ? previous.schedule === describeSchedule(task.schedule) : false, now);
    }
    for (const record of stored.values()) {
      // A built-in task that config has turned off: its record stays for when it is turned on again.
      if (record.owner === BUILT_IN_OWNER) continue;
      try {
        const { task, nextRunAt } = taskFromRecord(record, this.registry, this.defaults);
        this.resumeAtStart(task, busTaskAction(task, this.registry, this.bus), nextRunAt, true, now);
      } catch (error) {
        this.logger.error(
          { task: record.id, owner: record.owner, reason: (error as Error).message },
          'A stored task is no longer valid and is not scheduled; register it again',
        );
      }
    }
    this.loaded.open();
    this.logger.info({ tasks: [...this.entries.keys()] }, 'Tasks loaded and scheduled');
  }

  private previousState(record: ScheduledTask): { paused: boolean; nextRunAt: number | undefined; schedule: string } {
    const schedule =
      record.intervalMs > 0n
        ? { kind: 'interval' as const, intervalMs: Number(record.intervalMs) }
        : { kind: 'cron' as const, expression: record.schedule, timeZone: record.timeZone };
    return { paused: !record.enabled, nextRunAt: record.nextRunAt ? timestampMs(record.nextRunAt) : undefined, schedule: describeSchedule(schedule) };
  }

  /** Storage may start after the scheduler: keep asking (each call already retries for its own deadline). */
  private async untilStorageAnswers<T>(work: () => Promise<T>, what: string): Promise<T | undefined> {
    for (;;) {
      try {
        return await work();
      } catch (error) {
        if (this.stopped) return undefined;
        this.logger.warn({ err: error }, `Could not ${what} from storage yet; retrying`);
        await new Promise((resolve) => setTimeout(resolve, LOAD_RETRY_MS));
      }
    }
  }

  /**
   * Schedules a task found in storage. An occurrence that fell due while the scheduler was down is caught up once
   * (run-once) or recorded as skipped (skip); then the task waits for its next occurrence.
   */
  private resumeAtStart(task: Task, action: TaskAction, storedNext: number | undefined, samePhase: boolean, now: number): void {
    const entry: Entry = { task, action, nextRunAt: undefined, timer: undefined, retired: false };
    this.entries.set(task.name, entry);
    if (task.paused) {
      void this.persist(entry);
      return;
    }
    if (storedNext === undefined || storedNext > now) {
      this.arm(entry, storedNext !== undefined && samePhase ? storedNext : nextOccurrence(task.schedule, now));
      return;
    }
    const missed = countOccurrences(task.schedule, storedNext, now);
    this.arm(entry, nextOccurrence(task.schedule, now, samePhase ? storedNext : now));
    const since = new Date(storedNext).toISOString();
    if (task.missedRunPolicy === 'run-once') {
      this.logger.info({ task: task.name, missed, since }, 'Running a task once for the occurrences missed while the scheduler was not running');
      this.startRun(entry, 'missed', storedNext);
    } else {
      const reason = `${missed} occurrence${missed === 1 ? '' : 's'} from ${since} missed while the scheduler was not running; the missed-run policy is skip.`;
      void this.runner.skip(task, 'missed', storedNext, reason);
    }
  }

  // ---- timers and runs ---------------------------------------------------------------------------------------

  private arm(entry: Entry, dueAt: number, options: { persist: boolean } = { persist: true }): void {
    entry.timer?.cancel();
    entry.nextRunAt = dueAt;
    entry.timer = this.clock.setTimer(dueAt - this.clock.now(), () => this.onDue(entry, dueAt));
    if (options.persist) void this.persist(entry);
  }

  private onDue(entry: Entry, dueAt: number): void {
    entry.timer = undefined;
    if (this.stopped || entry.retired || entry.task.paused || this.runner.stopped) return;
    try {
      // From the later of now and the due time: a timer that fires a hair early must not find the same occurrence.
      this.arm(entry, nextOccurrence(entry.task.schedule, Math.max(this.clock.now(), dueAt), dueAt));
    } catch (error) {
      entry.nextRunAt = undefined;
      this.logger.error({ err: error, task: entry.task.name }, 'The task has no further occurrence and will not run again');
    }
    this.startRun(entry, 'schedule', dueAt);
  }

  private startRun(entry: Entry, trigger: RunTriggerName, scheduledFor: number | undefined): StartedRun {
    const { task } = entry;
    const going = this.running.get(task.name);
    if (going) {
      const reason = `Run ${going.runId} was still going (attempt ${going.attempt} of ${task.retry.maxAttempts}); a task never runs twice at once.`;
      const finished = this.runner.skip(task, trigger, scheduledFor, reason);
      return { runId: '', started: false, skippedReason: reason, finished };
    }
    const run: ActiveRun = { runId: newEntryId(), attempt: 0 };
    this.running.set(task.name, run);
    const finished = this.runner.execute(task, entry.action, run, trigger, scheduledFor).finally(() => {
      if (this.running.get(task.name) === run) this.running.delete(task.name);
    });
    return { runId: run.runId, started: true, skippedReason: '', finished };
  }

  /** Queues a write of the entry's current state; it is skipped if the entry is retired by then. */
  private persist(entry: Entry): Promise<void> {
    return this.writes.enqueue(entry.task.name, async () => {
      if (entry.retired) return;
      await this.store.saveTask(taskToRecord(entry.task, entry.nextRunAt));
    });
  }

  // ---- the bus contract --------------------------------------------------------------------------------------

  async register(definition: TaskDefinition | undefined, owner: string): Promise<{ task: MessageInitShape<typeof TaskInfoSchema>; created: boolean }> {
    await this.loaded.wait();
    const spec = specFromDefinition(definition, this.registry, this.defaults);
    const existing = this.entries.get(spec.name);
    if (existing?.task.builtIn)
      throw new SchedulerError(SchedulerErrorCode.BuiltIn, `"${spec.name}" is a built-in task; choose another name.`, { task: spec.name });
    if (existing && existing.task.owner !== owner) {
      throw new SchedulerError(SchedulerErrorCode.NameTaken, `A task named "${spec.name}" is registered by "${existing.task.owner}"; choose another name.`, {
        task: spec.name,
      });
    }
    const task: Task = { ...spec, owner, builtIn: false, paused: existing?.task.paused ?? false };
    const now = this.clock.now();
    const keepNext = existing?.nextRunAt !== undefined && sameSchedule(existing.task.schedule, task.schedule);
    const nextRunAt = task.paused ? undefined : keepNext ? existing.nextRunAt : nextOccurrence(task.schedule, now);
    const entry: Entry = { task, action: busTaskAction(task, this.registry, this.bus), nextRunAt: undefined, timer: undefined, retired: false };
    // The old entry stops firing and writing before the new one is stored; it comes back if the store fails.
    if (existing) {
      existing.retired = true;
      existing.timer?.cancel();
    }
    try {
      await this.writes.enqueue(task.name, () => this.store.saveTask(taskToRecord(task, nextRunAt)));
    } catch (error) {
      if (existing) {
        existing.retired = false;
        if (existing.nextRunAt !== undefined) this.arm(existing, existing.nextRunAt, { persist: false });
      }
      throw error;
    }
    this.entries.set(task.name, entry);
    if (nextRunAt !== undefined) this.arm(entry, nextRunAt, { persist: false });
    this.logger.info(
      { task: task.name, owner, schedule: describeSchedule(task.schedule), topic: task.topic, replaced: existing !== undefined },
      'Task registered',
    );
    return { task: this.info(entry), created: existing === undefined };
  }

  async unregister(name: string, requester: string): Promise<{ removed: boolean }> {
    await this.loaded.wait();
    const entry = this.entries.get(name);
    if (!entry) return { removed: false };
    if (entry.task.builtIn) {
      throw new SchedulerError(
        SchedulerErrorCode.BuiltIn,
        `"${name}" is a built-in task: pause it, or turn it off in the configuration (scheduler.<task>.enabled).`,
        { task: name },
      );
    }
    this.assertMayManage(entry, requester);
    entry.retired = true;
    entry.timer?.cancel();
    this.entries.delete(name);
    await this.writes.enqueue(name, () => this.store.deleteTask(name));
    this.logger.info({ task: name, requester }, 'Task unregistered');
    return { removed: true };
  }

  async list(): Promise<MessageInitShape<typeof TaskInfoSchema>[]> {
    await this.loaded.wait();
    return [...this.entries.values()].sort((a, b) => a.task.name.localeCompare(b.task.name)).map((entry) => this.info(entry));
  }

  async trigger(name: string, wait: boolean, requester: string): Promise<MessageInitShape<typeof TriggerTaskResponseSchema>> {
    await this.loaded.wait();
    const entry = this.known(name);
    this.assertMayManage(entry, requester);
    this.logger.info({ task: name, requester }, 'Task triggered');
    const started = this.startRun(entry, 'manual', this.clock.now());
    const response = { runId: started.runId, started: started.started, skippedReason: started.skippedReason };
    if (!wait) return response;
    return { ...response, lastAttempt: entryToWire(await started.finished) };
  }

  async pause(name: string, requester: string): Promise<MessageInitShape<typeof TaskInfoSchema>> {
    await this.loaded.wait();
    const entry = this.replace(this.known(name), requester, { paused: true });
    entry.timer?.cancel();
    entry.timer = undefined;
    entry.nextRunAt = undefined;
    await this.persist(entry);
    this.logger.info({ task: name, requester }, 'Task paused');
    return this.info(entry);
  }

  async resume(name: string, requester: string): Promise<MessageInitShape<typeof TaskInfoSchema>> {
    await this.loaded.wait();
    const current = this.known(name);
    this.assertMayManage(current, requester);
    if (!current.task.paused) return this.info(current);
    const entry = this.replace(current, requester, { paused: false });
    // From now: what fell due while paused is not caught up (pausing means "not now").
    entry.nextRunAt = nextOccurrence(entry.task.schedule, this.clock.now());
    await this.persist(entry);
    this.arm(entry, entry.nextRunAt, { persist: false });
    this.logger.info({ task: name, requester, nextRunAt: new Date(entry.nextRunAt).toISOString() }, 'Task resumed');
    return this.info(entry);
  }

  async history(name: string, limit: number): Promise<MessageInitShape<typeof TaskRunEntrySchema>[]> {
    await this.loaded.wait();
    const entries = await this.runs.latest(name, Math.min(limit || DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT));
    if (entries.length === 0 && !this.entries.has(name)) this.known(name);
    return entries.map(entryToWire);
  }

  // ---- helpers -----------------------------------------------------------------------------------------------

  private info(entry: Entry): MessageInitShape<typeof TaskInfoSchema> {
    return taskInfo(entry.task, entry.task.paused ? undefined : entry.nextRunAt, this.running.has(entry.task.name));
  }

  private known(name: string): Entry {
    const entry = this.entries.get(name);
    if (!entry)
      throw new SchedulerError(SchedulerErrorCode.UnknownTask, `No task named "${name}" is registered; "aico tasks list" shows the registered tasks.`, {
        task: name,
      });
    return entry;
  }

  private assertMayManage(entry: Entry, requester: string): void {
    if (requester === entry.task.owner || (SCHEDULER_OPERATORS as readonly string[]).includes(requester)) return;
    throw new SchedulerError(
      SchedulerErrorCode.NotPermitted,
      `"${requester}" may not manage task "${entry.task.name}"; its owner "${entry.task.owner}" and ${SCHEDULER_OPERATORS.join(', ')} may.`,
      {
        task: entry.task.name,
      },
    );
  }

  /** Tasks are immutable: a change of state is a new entry in the old one's place. */
  private replace(entry: Entry, requester: string, change: Partial<Pick<Task, 'paused'>>): Entry {
    this.assertMayManage(entry, requester);
    entry.retired = true;
    entry.timer?.cancel();
    const next: Entry = { task: { ...entry.task, ...change }, action: entry.action, nextRunAt: entry.nextRunAt, timer: undefined, retired: false };
    this.entries.set(entry.task.name, next);
    return next;
  }
}
