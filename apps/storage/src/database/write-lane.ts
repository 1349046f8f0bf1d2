// The single writer of the database, with group commit. Every write is a job queued here; the lane takes the
// queued jobs (up to a batch), runs them in ONE transaction with a savepoint each (a failing job is rolled back
// alone and rejected), commits once, and only then resolves the jobs: a write is acknowledged only after it is
// committed, and one fsync serves many writes. A failed commit (a full disk) rejects every job of the batch.
import type { Client } from '@libsql/client';
import type { Logger } from '@aico/logging';
import { StorageError, StorageErrorCode, translateDatabaseError } from '../storage.error';

interface QueuedJob<T = unknown> {
  run: () => Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export interface WriteLaneStats {
  readonly committedJobs: number;
  readonly commits: number;
  readonly failedJobs: number;
  readonly queued: number;
}

export class WriteLane {
  private queue: QueuedJob[] = [];
  private running: Promise<void> | undefined;
  private committing: Promise<void> | undefined;
  private transaction: Promise<void> | undefined;
  private gate: Promise<void> | undefined;
  private closed = false;
  private committedJobs = 0;
  private commits = 0;
  private failedJobs = 0;
  /** Transactions failed in a row (since the last commit). */
  private failedCommits = 0;

  constructor(
    private client: Client,
    private readonly path: string,
    private readonly logger: Logger,
    private readonly maxBatch = 256,
  ) {}

  /** Runs `job` inside the write transaction; resolves with its result once the transaction has committed. */
  run<T>(job: () => Promise<T>): Promise<T> {
    if (this.closed)
      return Promise.reject(new StorageError(StorageErrorCode.ShuttingDown, 'Storage is shutting down and takes no new writes; retry after it restarts.'));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run: job, resolve, reject } as QueuedJob);
      this.startDraining();
    });
  }

  /**
   * Starts the drain loop unless it runs. A job queued after the loop's last look at the queue but before it is
   * marked idle (a caller resuming from an earlier acknowledgement can land there) is picked up by a new loop.
   */
  private startDraining(): void {
    if (this.running) return;
    const running = this.drain().finally(() => {
      if (this.running === running) this.running = undefined;
      if (this.queue.length > 0) this.startDraining();
    });
    this.running = running;
  }

  /** Waits for queued and running writes, then runs `fn` with the lane to itself (re-keying, restore, checkpoint). */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const previous = this.gate;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.gate = mine;
    try {
      await previous;
      await this.committing;
      return await fn();
    } finally {
      if (this.gate === mine) this.gate = undefined;
      release();
    }
  }

  /** The connection after a restore replaced the database (called inside `exclusive`). */
  useClient(client: Client): void {
    this.client = client;
  }

  /** Resolves when no write transaction is open (readers share the connection and must not see one). */
  async settled(): Promise<void> {
    while (this.transaction) await this.transaction;
  }

  /** Stops intake and waits for what was accepted to commit. */
  async close(): Promise<void> {
    this.closed = true;
    await this.gate;
    while (this.running) await this.running;
  }

  get stats(): WriteLaneStats {
    return { committedJobs: this.committedJobs, commits: this.commits, failedJobs: this.failedJobs, queued: this.queue.length };
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      if (this.gate) {
        await this.gate;
        continue;
      }
      const batch = this.queue.splice(0, this.maxBatch);
      this.committing = this.commitBatch(batch);
      await this.committing;
      this.committing = undefined;
    }
  }

  private async commitBatch(batch: QueuedJob[]): Promise<void> {
    let finished!: () => void;
    this.transaction = new Promise<void>((resolve) => (finished = resolve));
    try {
      await this.runBatch(batch);
    } finally {
      this.transaction = undefined;
      finished();
    }
  }

  private async runBatch(batch: QueuedJob[]): Promise<void> {
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      await this.client.execute('BEGIN IMMEDIATE');
    } catch (error) {
      this.rejectAll(batch, translateDatabaseError(error, this.path));
      return;
    }
    try {
      for (const [index, job] of batch.entries()) {
        await this.client.execute(`SAVEPOINT job_${index}`);
        try {
          outcomes.push({ ok: true, value: await job.run() });
          await this.client.execute(`RELEASE job_${index}`);
        } catch (error) {
          const translated = translateDatabaseError(error, this.path);
          // A full disk or an I/O error can end the whole transaction inside SQLite: fail the batch, not the job.
          if (translated instanceof StorageError && (translated.code === StorageErrorCode.DiskFull || translated.code === StorageErrorCode.Io))
            throw translated;
          await this.client.execute(`ROLLBACK TO job_${index}`);
          await this.client.execute(`RELEASE job_${index}`);
          outcomes.push({ ok: false, error: translated });
        }
      }
      await this.client.execute('COMMIT');
    } catch (error) {
      await this.client.execute('ROLLBACK').catch(() => undefined);
      const translated = translateDatabaseError(error, this.path);
      // On a full disk every batch fails until space is freed: the first is logged, the rest counted (each caller
      // gets its error anyway), so the log does not fill what is left of the disk.
      if (this.failedCommits === 0) this.logger.error({ err: translated, jobs: batch.length }, 'A write transaction failed; none of its writes was applied');
      this.failedCommits++;
      this.rejectAll(batch, translated);
      return;
    }
    if (this.failedCommits > 0) {
      this.logger.info({ failedTransactions: this.failedCommits }, 'Write transactions commit again');
      this.failedCommits = 0;
    }
    this.commits++;
    for (const [index, job] of batch.entries()) {
      const outcome = outcomes[index]!;
      if (outcome.ok) {
        this.committedJobs++;
        job.resolve(outcome.value);
      } else {
        this.failedJobs++;
        job.reject(outcome.error);
      }
    }
  }

  private rejectAll(batch: QueuedJob[], error: unknown): void {
    this.failedJobs += batch.length;
    for (const job of batch) job.reject(error);
  }
}
