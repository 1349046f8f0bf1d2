// The run history: entries are written in the order they happen (one queue, so an attempt's "running" can never
// land after its outcome), without holding up the run itself when storage is slow; a run's end is announced only
// after its entries are stored. Reading, marking attempts a stop cut short, and retention live here too.
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@aico/logging';
import { SERVICE_LOGGER } from '@aico/service';
import type { RunEntry } from './run-entry';
import { TaskStore } from './task-store';

export interface Retention {
  /** Entries kept per task, newest first. */
  readonly keepPerTask: number;
  /** Entries that ended before this time are removed (0: none by age). */
  readonly olderThan: number;
}

@Injectable()
export class RunHistory {
  private readonly logger: Logger;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: TaskStore,
    @Inject(SERVICE_LOGGER) logger: Logger,
  ) {
    this.logger = logger.child({ context: 'RunHistory' });
  }

  /** Queues the entry; the promise settles when it is stored (or could not be: logged, never thrown). */
  record(entry: RunEntry): Promise<void> {
    const written = this.queue.then(() =>
      this.store.saveRun(entry).catch((error: unknown) => {
        this.logger.warn({ err: error, task: entry.task, runId: entry.runId, status: entry.status }, 'A run history entry could not be stored');
      }),
    );
    this.queue = written;
    return written;
  }

  /** The newest `limit` entries of a task, newest first. */
  async latest(task: string, limit: number): Promise<RunEntry[]> {
    await this.queue;
    const entries = await this.store.loadRuns(task);
    return entries.slice(-limit).reverse();
  }

  /**
   * Attempts still "running" in storage were cut short when the scheduler last stopped (or crashed): say so. Runs
   * before this process starts any run, so none of its own attempts is touched.
   */
  async markInterrupted(now: number): Promise<number> {
    const entries = await this.store.loadRuns('');
    const cut = entries.filter((entry) => entry.status === 'running');
    for (const entry of cut) {
      await this.record({
        ...entry,
        status: 'interrupted',
        error: entry.error || 'The scheduler stopped during this attempt; the run was not finished.',
        finishedAt: now,
      });
    }
    return cut.length;
  }

  /** Removes entries beyond the retention, for every task with history. Returns how many. */
  async prune(retention: Retention, signal?: AbortSignal): Promise<number> {
    const entries = await this.store.loadRuns('');
    const byTask = new Map<string, RunEntry[]>();
    for (const entry of entries) {
      const list = byTask.get(entry.task);
      if (list) list.push(entry);
      else byTask.set(entry.task, [entry]);
    }
    let removed = 0;
    for (const list of byTask.values()) {
      // Oldest first (id order); a running attempt is never removed.
      const excess = list.length - retention.keepPerTask;
      const doomed = list.filter(
        (entry, index) => entry.status !== 'running' && (index < excess || (entry.finishedAt ?? entry.startedAt ?? Infinity) < retention.olderThan),
      );
      for (const entry of doomed) {
        signal?.throwIfAborted();
        await this.store.deleteRun(entry.id);
        removed++;
      }
    }
    return removed;
  }
}
