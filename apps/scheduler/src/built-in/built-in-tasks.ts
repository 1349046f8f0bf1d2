// The tasks the scheduler brings itself, each doing real work through the bus: the health sweep, the database
// check, the encrypted backup (with retention), key rotation (off by default) and run-history cleanup. They run
// through the same machinery as registered tasks (timeouts, retries, dead letters, history), are owned by
// "scheduler", can be paused and triggered but not unregistered; config turns them on and sets their schedules.
//
// Not here: log retention. Storage already prunes logs and events itself, at start and hourly, by its own
// retention settings, and has no bus request to trigger that; a task here could only pretend to do it.
// Not here either: VACUUM. Storage answers no vacuum request (its backups use VACUUM INTO a snapshot).
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import { KeyPurpose, SchedulerTopics, SecurityTopics, StorageTopics } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import type { Clock } from '../clock';
import { RunHistory } from '../run-history';
import type { RetrySettings } from '../retry-policy';
import { parseSchedule } from '../schedule';
import { backupDirectory, KEY_ROTATION_PURPOSES, type SchedulerConfig } from '../scheduler.config';
import { SCHEDULER_CLOCK } from '../scheduler.tokens';
import type { TaskSpec } from '../task';
import { requestTimeoutMs, type TaskAction } from '../task-action';
import { archiveName, prepareDirectory, pruneArchives } from './backup-archives';
import { HealthSweep } from './health-sweep';

export interface BuiltInTask {
  readonly spec: TaskSpec;
  readonly action: TaskAction;
}

const PURPOSES: Readonly<Record<(typeof KEY_ROTATION_PURPOSES)[number], KeyPurpose>> = {
  database: KeyPurpose.DATABASE,
  file: KeyPurpose.FILE,
  'token-signing': KeyPurpose.TOKEN_SIGNING,
  backup: KeyPurpose.BACKUP,
};

const once: RetrySettings = { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0, jitter: 0 };
/** Storage work: it may be restarting or busy with a restore; try a few times, minutes apart. */
const patient: RetrySettings = { maxAttempts: 4, initialBackoffMs: 60_000, maxBackoffMs: 15 * 60_000, jitter: 0.2 };

@Injectable()
export class BuiltInTasks {
  private readonly logger: Logger;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: SchedulerConfig,
    @Inject(SERVICE_LOGGER) logger: Logger,
    @Inject(SCHEDULER_CLOCK) private readonly clock: Clock,
    private readonly bus: BusClient,
    private readonly health: HealthSweep,
    private readonly history: RunHistory,
  ) {
    this.logger = logger.child({ context: 'BuiltInTasks' });
  }

  /** The built-in tasks config turns on. */
  tasks(): BuiltInTask[] {
    const settings = this.config.scheduler;
    const tasks: BuiltInTask[] = [];
    const spec = (name: string, schedule: string, rest: Omit<TaskSpec, 'name' | 'schedule' | 'payload'>): TaskSpec => ({
      name,
      schedule: parseSchedule(schedule, settings.timeZone),
      payload: new Uint8Array(),
      ...rest,
    });

    if (settings.healthSweep.enabled) {
      tasks.push({
        spec: spec('health-sweep', settings.healthSweep.schedule, {
          topic: SchedulerTopics.healthSummary.topic,
          timeoutMs: 10_000,
          retry: once,
          missedRunPolicy: 'skip',
          description: 'Publishes a summary of the heartbeats heard (scheduler.health.summary).',
        }),
        action: () => this.health.publishSummary(),
      });
    }
    if (settings.databaseCheck.enabled) {
      tasks.push({
        spec: spec('database-check', settings.databaseCheck.schedule, {
          topic: StorageTopics.databaseCheck.topic,
          timeoutMs: 10 * 60_000,
          retry: patient,
          missedRunPolicy: 'run-once',
          description: "Runs storage's integrity check and reports the database size.",
        }),
        action: (context) => this.checkDatabase(requestTimeoutMs(context), context.signal),
      });
    }
    if (settings.backup.enabled) {
      tasks.push({
        spec: spec('backup', settings.backup.schedule, {
          topic: StorageTopics.backupCreate.topic,
          timeoutMs: 60 * 60_000,
          retry: patient,
          missedRunPolicy: 'run-once',
          description: `Writes an encrypted backup into ${backupDirectory(this.config)}, keeping the newest ${settings.backup.keepLast}.`,
        }),
        action: (context) => this.backup(context.runId, requestTimeoutMs(context), context.signal),
      });
    }
    if (settings.keyRotation.enabled) {
      for (const purpose of new Set(settings.keyRotation.purposes)) {
        tasks.push({
          spec: spec(`key-rotation-${purpose}`, settings.keyRotation.schedule, {
            topic: SecurityTopics.rotate.topic,
            timeoutMs: 5 * 60_000,
            retry: patient,
            missedRunPolicy: 'run-once',
            description: `Rotates the ${purpose} key (a new version; its owner re-keys its data).`,
          }),
          action: (context) => this.rotateKey(purpose, context.runId, requestTimeoutMs(context), context.signal),
        });
      }
    }
    if (settings.historyCleanup.enabled) {
      tasks.push({
        spec: spec('history-cleanup', settings.historyCleanup.schedule, {
          topic: StorageTopics.recordDelete.topic,
          timeoutMs: 10 * 60_000,
          retry: once,
          missedRunPolicy: 'skip',
          description: `Removes run history beyond ${settings.history.keepPerTask} entries a task or older than ${settings.history.retentionDays} days.`,
        }),
        action: (context) => this.cleanHistory(context.signal),
      });
    }
    return tasks;
  }

  private async checkDatabase(timeoutMs: number, signal: AbortSignal): Promise<void> {
    const report = await this.bus.request(StorageTopics.databaseCheck, {}, { timeoutMs, signal });
    if (!report.ok) {
      throw new Error(`The database integrity check found ${report.problems.length} problem(s): ${report.problems.slice(0, 3).join('; ')}`);
    }
    this.logger.info(
      { sizeBytes: Number(report.sizeBytes), walBytes: Number(report.walBytes), schemaMigration: report.schemaMigration },
      'Database check passed',
    );
  }

  private async backup(runId: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
    const directory = backupDirectory(this.config);
    await prepareDirectory(directory);
    const path = join(directory, archiveName(this.clock.now()));
    // One idempotency key for the run: a retry after a lost reply gets the first answer, not a second archive.
    const written = await this.bus.request(StorageTopics.backupCreate, { path }, { timeoutMs, signal, idempotencyKey: runId });
    // Older archives go only once a new one exists, so a failing backup never shrinks what is kept.
    const removed = await pruneArchives(directory, this.config.scheduler.backup.keepLast);
    this.logger.info({ path: written.path, sizeBytes: Number(written.sizeBytes), removed }, 'Backup written');
  }

  private async rotateKey(purpose: (typeof KEY_ROTATION_PURPOSES)[number], runId: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
    const rotated = await this.bus.request(
      SecurityTopics.rotate,
      { purpose: PURPOSES[purpose], reason: 'scheduled rotation' },
      { timeoutMs, signal, idempotencyKey: runId },
    );
    this.logger.info({ purpose, version: rotated.key?.version, previousVersion: rotated.previousVersion }, 'Key rotated on schedule');
  }

  private async cleanHistory(signal: AbortSignal): Promise<void> {
    const { keepPerTask, retentionDays } = this.config.scheduler.history;
    const olderThan = retentionDays > 0 ? this.clock.now() - retentionDays * 86_400_000 : 0;
    const removed = await this.history.prune({ keepPerTask, olderThan }, signal);
    if (removed > 0) this.logger.info({ removed }, 'Run history beyond retention removed');
  }
}
