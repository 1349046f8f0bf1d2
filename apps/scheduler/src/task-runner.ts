// One run of a task, start to end: attempts with a deadline each, exponential backoff with jitter between them,
// the run history written as it happens, a dead letter when the last allowed attempt fails, and the end announced
// on `scheduler.run.finished` once its history is stored. A failure is a value here, never an exception: whatever
// one task does, the scheduler and every other task go on.
import { Inject, Injectable } from '@nestjs/common';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { BusClient, BusError, BusErrorCode, RemoteError } from '@aico/bus';
import { PublicError, SchedulerTopics } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { SERVICE_LOGGER } from '@aico/service';
import { sleep, type Clock } from './clock';
import { backoffDelay } from './retry-policy';
import { entryToWire, newEntryId, triggerToWire, type RunEntry, type RunTriggerName } from './run-entry';
import { RunHistory } from './run-history';
import { SCHEDULER_CLOCK, SCHEDULER_RANDOM } from './scheduler.tokens';
import type { Task } from './task';
import type { TaskAction } from './task-action';

export interface ActiveRun {
  readonly runId: string;
  attempt: number;
}

/** Why an attempt was aborted, told apart by identity. */
class AttemptTimeout extends Error {}

@Injectable()
export class TaskRunner {
  private readonly logger: Logger;
  /** Aborted when the scheduler stops: pending backoffs end, attempts are cut short. */
  private readonly stopping = new AbortController();

  constructor(
    @Inject(SERVICE_LOGGER) logger: Logger,
    @Inject(SCHEDULER_CLOCK) private readonly clock: Clock,
    @Inject(SCHEDULER_RANDOM) private readonly random: () => number,
    private readonly bus: BusClient,
    private readonly history: RunHistory,
  ) {
    this.logger = logger.child({ context: 'TaskRunner' });
  }

  get stopped(): boolean {
    return this.stopping.signal.aborted || this.bus.state === 'closing' || this.bus.state === 'closed';
  }

  stop(): void {
    this.stopping.abort(new Error('The scheduler is stopping.'));
  }

  /**
   * Runs `task` to its end. `run` is updated with the current attempt (for overlap messages). Resolves with the
   * last attempt's entry; an attempt cut short by a stop resolves unrecorded (the next start marks it interrupted).
   */
  async execute(task: Task, action: TaskAction, run: ActiveRun, trigger: RunTriggerName, scheduledFor: number | undefined): Promise<RunEntry> {
    let last: RunEntry;
    for (let attempt = 1; ; attempt++) {
      run.attempt = attempt;
      const started: RunEntry = {
        id: newEntryId(),
        runId: run.runId,
        task: task.name,
        attempt,
        status: 'running',
        trigger,
        ...(scheduledFor === undefined ? {} : { scheduledFor }),
        startedAt: this.clock.now(),
        error: '',
      };
      void this.history.record(started);
      const failure = await this.attempt(task, action, run.runId, attempt);
      if (this.stopped) return { ...started, status: 'interrupted', error: 'The scheduler stopped during this attempt.' };
      const finishedAt = this.clock.now();
      if (failure === undefined) {
        last = { ...started, status: 'succeeded', finishedAt };
        break;
      }
      if (attempt >= task.retry.maxAttempts) {
        last = { ...started, status: 'dead-lettered', error: failure, finishedAt };
        break;
      }
      const delayMs = backoffDelay(task.retry, attempt, this.random);
      void this.history.record({ ...started, status: 'failed', error: failure, finishedAt });
      this.logger.warn(
        { task: task.name, runId: run.runId, attempt, of: task.retry.maxAttempts, retryInMs: delayMs, error: failure },
        'Task attempt failed; retrying after a backoff',
      );
      try {
        await sleep(this.clock, delayMs, this.stopping.signal);
      } catch {
        return { ...started, status: 'interrupted', error: 'The scheduler stopped before the next attempt.' };
      }
    }
    await this.history.record(last);
    if (last.status === 'dead-lettered') {
      this.logger.error(
        { task: task.name, runId: run.runId, attempts: last.attempt, error: last.error },
        'Task failed its last allowed attempt; dead-lettered',
      );
      await this.bus
        .publish(SchedulerTopics.deadLettered, {
          task: task.name,
          runId: run.runId,
          owner: task.owner,
          topic: task.topic,
          payload: task.payload,
          attempts: last.attempt,
          lastError: last.error,
          trigger: triggerToWire(trigger),
          ...(scheduledFor === undefined ? {} : { scheduledFor: timestampFromMs(scheduledFor) }),
          deadLetteredAt: timestampFromMs(last.finishedAt!),
        })
        .catch((error: unknown) => this.logger.warn({ err: error, task: task.name }, 'The dead letter could not be published'));
    } else {
      this.logger.debug({ task: task.name, runId: run.runId, attempt: last.attempt, trigger }, 'Task run succeeded');
    }
    await this.announce(last);
    return last;
  }

  /** A run that is not started (overlap, or a missed occurrence under the skip policy), recorded and announced. */
  async skip(task: Task, trigger: RunTriggerName, scheduledFor: number | undefined, reason: string): Promise<RunEntry> {
    const entry: RunEntry = {
      id: newEntryId(),
      runId: newEntryId(),
      task: task.name,
      attempt: 0,
      status: 'skipped',
      trigger,
      ...(scheduledFor === undefined ? {} : { scheduledFor }),
      finishedAt: this.clock.now(),
      error: reason,
    };
    this.logger.info({ task: task.name, trigger, reason }, 'Task run skipped');
    await this.history.record(entry);
    await this.announce(entry);
    return entry;
  }

  /** One attempt under its deadline. Resolves with why it failed, or undefined when it succeeded. */
  private async attempt(task: Task, action: TaskAction, runId: string, attempt: number): Promise<string | undefined> {
    const deadline = new AbortController();
    const timeout = new AttemptTimeout();
    const timer = this.clock.setTimer(task.timeoutMs, () => deadline.abort(timeout));
    const onStop = (): void => deadline.abort(this.stopping.signal.reason);
    this.stopping.signal.addEventListener('abort', onStop, { once: true });
    // An action that ignores its signal still loses the race against its deadline.
    const aborted = new Promise<never>((_, reject) => deadline.signal.addEventListener('abort', () => reject(deadline.signal.reason as Error), { once: true }));
    try {
      await Promise.race([action({ runId, attempt, timeoutMs: task.timeoutMs, signal: deadline.signal }), aborted]);
      return undefined;
    } catch (error) {
      if (deadline.signal.reason === timeout) return `Timed out after ${task.timeoutMs} ms.`;
      return describeFailure(error, task);
    } finally {
      timer.cancel();
      this.stopping.signal.removeEventListener('abort', onStop);
      // Settles the losing side of the race: a request still waiting for its reply is cancelled.
      if (!deadline.signal.aborted) deadline.abort(new Error('The attempt is over.'));
    }
  }

  private async announce(entry: RunEntry): Promise<void> {
    await this.bus.publish(SchedulerTopics.runFinished, { lastAttempt: entryToWire(entry) }).catch((error: unknown) => {
      this.logger.debug({ err: error, task: entry.task }, 'scheduler.run.finished not published');
    });
  }
}

/** What goes into the history: the coded answer of the service asked, or the failure's own message. */
export function describeFailure(error: unknown, task: Pick<Task, 'topic' | 'timeoutMs'>): string {
  if (error instanceof BusError && error.code === BusErrorCode.DeadlineExceeded) return `Timed out after ${task.timeoutMs} ms: no reply to ${task.topic}.`;
  if (error instanceof RemoteError) return `${error.code} from ${error.source}: ${error.message}`;
  if (error instanceof PublicError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
