// `aico tasks list | trigger <name> | pause <name> | resume <name> | history <name>`: the scheduler's tasks over
// the bus. The scheduler must answer a ping first, so a scheduler that is not running fails in seconds with 69.
import type { Command } from 'commander';
import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import { BusError, BusErrorCode, RemoteError, type BusClient } from '@aico/bus';
import { RunStatus, RunTrigger, SchedulerTopics, SystemTopics, type TaskInfo, type TaskRunEntry } from '@aico/contracts';
import { withBus } from '../bus-connection';
import type { CliContext } from '../cli-context';
import { printTable } from '../text-table';
import { CliError, ExitCode, schedulerExitCode } from '../exit-codes';

const PING_TIMEOUT_MS = 3_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** A waited-for run may be a backup with retries: wait up to this long by default. */
const DEFAULT_WAIT_SECONDS = 600;

export function registerTasks(program: Command, context: () => CliContext): void {
  const tasks = program.command('tasks').description("the scheduler's tasks: built-in and registered by services");

  tasks
    .command('list')
    .description('every task with its schedule, next run and state')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => listTasks(context(), options));

  tasks
    .command('trigger <name>')
    .description('run a task now (not while a run of it is going)')
    .option('--wait', 'wait for the run to end (its retries included) and exit 1 if it failed')
    .option('--timeout <seconds>', 'how long --wait waits', String(DEFAULT_WAIT_SECONDS))
    .action((name: string, options: { wait?: boolean; timeout: string }) => triggerTask(context(), name, options));

  tasks
    .command('pause <name>')
    .description('stop scheduling a task until it is resumed (a run going on finishes)')
    .action(async (name: string) => {
      const cli = context();
      await withScheduler(cli, (bus) => bus.request(SchedulerTopics.pause, { name }, { timeoutMs: REQUEST_TIMEOUT_MS }));
      cli.out(`Paused ${name}; "aico tasks resume ${name}" schedules it again.`);
    });

  tasks
    .command('resume <name>')
    .description('schedule a paused task again from now (what fell due meanwhile is not caught up)')
    .action(async (name: string) => {
      const cli = context();
      const { task } = await withScheduler(cli, (bus) => bus.request(SchedulerTopics.resume, { name }, { timeoutMs: REQUEST_TIMEOUT_MS }));
      cli.out(`Resumed ${name}; next run ${task?.nextRunAt ? time(task.nextRunAt) : 'not scheduled'}.`);
    });

  tasks
    .command('history <name>')
    .description("a task's runs, newest first: start, end, trigger, attempt, outcome and error")
    .option('--limit <n>', 'how many entries', '20')
    .option('--json', 'print JSON')
    .action((name: string, options: { limit: string; json?: boolean }) => taskHistory(context(), name, options));
}

/** `aico tasks list`: every task with its schedule, next run and state (or JSON). */
async function listTasks(cli: CliContext, options: { json?: boolean }): Promise<void> {
  const { tasks: list } = await withScheduler(cli, (bus) => bus.request(SchedulerTopics.list, {}, { timeoutMs: REQUEST_TIMEOUT_MS }));
  if (options.json) {
    cli.out(JSON.stringify(list.map(taskJson), null, 2));
    return;
  }
  if (list.length === 0) {
    cli.out('No tasks are registered.');
    return;
  }
  printTable(
    cli,
    ['NAME', 'SCHEDULE', 'NEXT RUN', 'STATE', 'OWNER', 'TOPIC'],
    list.map((task) => [
      task.definition?.name ?? '',
      describeSchedule(task),
      task.nextRunAt ? time(task.nextRunAt) : '-',
      state(task),
      task.builtIn ? 'built-in' : task.owner,
      task.definition?.topic ?? '',
    ]),
  );
}

/** `aico tasks trigger`: starts a run; with --wait, its outcome is the exit code. */
async function triggerTask(cli: CliContext, name: string, options: { wait?: boolean; timeout: string }): Promise<void> {
  const seconds = Number(options.timeout);
  if (!Number.isInteger(seconds) || seconds < 1) throw new CliError(`--timeout takes a whole number of seconds, not "${options.timeout}".`, ExitCode.Usage);
  const wait = options.wait === true;
  const response = await withScheduler(cli, (bus) =>
    bus.request(SchedulerTopics.trigger, { name, wait }, { timeoutMs: wait ? seconds * 1_000 : REQUEST_TIMEOUT_MS }),
  );
  if (!response.started) throw new CliError(`${name} was not started: ${response.skippedReason} Try again when that run has ended.`, ExitCode.TryLater);
  if (!wait || !response.lastAttempt) {
    cli.out(`Started ${name} (run ${response.runId}); "aico tasks history ${name}" shows how it ends.`);
    return;
  }
  const last = response.lastAttempt;
  if (last.status !== RunStatus.SUCCEEDED) {
    throw new CliError(
      `${name} (run ${response.runId}) ended ${statusName(last.status)} after ${plural(last.attempt, 'attempt')}: ${last.error}`,
      ExitCode.Failure,
    );
  }
  cli.out(`${name} (run ${response.runId}) succeeded after ${plural(last.attempt, 'attempt')}.`);
}

/** `aico tasks history`: a task's runs, newest first (or JSON). */
async function taskHistory(cli: CliContext, name: string, options: { limit: string; json?: boolean }): Promise<void> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new CliError(`--limit takes a whole number from 1, not "${options.limit}".`, ExitCode.Usage);
  const { entries } = await withScheduler(cli, (bus) => bus.request(SchedulerTopics.history, { name, limit }, { timeoutMs: REQUEST_TIMEOUT_MS }));
  if (options.json) {
    cli.out(JSON.stringify(entries.map(entryJson), null, 2));
    return;
  }
  if (entries.length === 0) {
    cli.out(`${name} has not run yet.`);
    return;
  }
  printTable(
    cli,
    ['STARTED', 'FINISHED', 'TRIGGER', 'ATTEMPT', 'STATUS', 'ERROR'],
    entries.map((entry) => [
      entry.startedAt ? time(entry.startedAt) : '-',
      entry.finishedAt ? time(entry.finishedAt) : '-',
      triggerName(entry.trigger),
      entry.attempt > 0 ? String(entry.attempt) : '-',
      statusName(entry.status),
      entry.error,
    ]),
  );
}

/** Runs `work` against the scheduler, mapping its refusals and its absence to exit codes. */
async function withScheduler<T>(cli: CliContext, work: (bus: BusClient) => Promise<T>): Promise<T> {
  try {
    return await withBus(cli, async (bus) => {
      await assertSchedulerAnswers(bus);
      return await work(bus);
    });
  } catch (error) {
    if (error instanceof RemoteError || error instanceof BusError) throw new CliError(`${error.message} (${error.code})`, schedulerExitCode(error));
    throw error;
  }
}

async function assertSchedulerAnswers(bus: BusClient): Promise<void> {
  try {
    await bus.request(SystemTopics.ping, { target: 'scheduler' }, { timeoutMs: PING_TIMEOUT_MS });
  } catch (error) {
    if ((error as { code?: unknown }).code !== BusErrorCode.DeadlineExceeded) throw error;
    throw new CliError(`The scheduler does not answer on the bus (no reply within ${PING_TIMEOUT_MS / 1_000} s). Is it running?`, ExitCode.Unavailable);
  }
}

const UNITS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
] as const;
const time = (timestamp: Timestamp): string => timestampDate(timestamp).toISOString();
const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

function describeSchedule(task: TaskInfo): string {
  const schedule = task.definition?.schedule;
  switch (schedule?.kind.case) {
    case 'cron':
      return schedule.timeZone ? `cron ${schedule.kind.value} (${schedule.timeZone})` : `cron ${schedule.kind.value}`;
    case 'intervalMs': {
      const ms = Number(schedule.kind.value);
      const unit = UNITS.find(([, size]) => ms % size === 0);
      return unit ? `every ${ms / unit[1]}${unit[0]}` : `every ${ms}ms`;
    }
    case undefined:
      return '-';
  }
}

function state(task: TaskInfo): string {
  if (task.running) return task.paused ? 'paused, running' : 'running';
  return task.paused ? 'paused' : 'scheduled';
}

function statusName(status: RunStatus): string {
  switch (status) {
    case RunStatus.RUNNING:
      return 'running';
    case RunStatus.SUCCEEDED:
      return 'succeeded';
    case RunStatus.FAILED:
      return 'failed (retried)';
    case RunStatus.DEAD_LETTERED:
      return 'dead-lettered';
    case RunStatus.SKIPPED:
      return 'skipped';
    case RunStatus.INTERRUPTED:
      return 'interrupted';
    case RunStatus.UNSPECIFIED:
      return 'unknown';
  }
}

function triggerName(trigger: RunTrigger): string {
  switch (trigger) {
    case RunTrigger.SCHEDULE:
      return 'schedule';
    case RunTrigger.MANUAL:
      return 'manual';
    case RunTrigger.MISSED:
      return 'missed';
    case RunTrigger.UNSPECIFIED:
      return 'unknown';
  }
}

function taskJson(task: TaskInfo) {
  return {
    name: task.definition?.name ?? '',
    schedule: describeSchedule(task),
    nextRunAt: task.nextRunAt ? time(task.nextRunAt) : null,
    state: state(task),
    owner: task.owner,
    builtIn: task.builtIn,
    topic: task.definition?.topic ?? '',
    description: task.definition?.description ?? '',
  };
}

function entryJson(entry: TaskRunEntry) {
  return {
    runId: entry.runId,
    attempt: entry.attempt,
    status: statusName(entry.status),
    trigger: triggerName(entry.trigger),
    scheduledFor: entry.scheduledFor ? time(entry.scheduledFor) : null,
    startedAt: entry.startedAt ? time(entry.startedAt) : null,
    finishedAt: entry.finishedAt ? time(entry.finishedAt) : null,
    error: entry.error,
  };
}
