// The scheduler's writes of task registrations to storage, queued per task: each waits for the one before it, so a
// later state of a task never lands before an earlier one (a pause stored after the resume that followed it).
import type { Logger } from '@aico/logging';

export class TaskWrites {
  /** The last queued write of each task, settled either way; removed once nothing is queued behind it. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly logger: Logger) {}

  /**
   * Runs `write` after every write queued before it for the task `name`. The result rejects if this write fails;
   * the failure is logged here, and the writes queued after it still run.
   */
  enqueue(name: string, write: () => Promise<void>): Promise<void> {
    const result = (this.queues.get(name) ?? Promise.resolve()).then(write);
    const settled = result.catch((error: unknown) => this.logger.warn({ err: error, task: name }, 'The task state could not be stored'));
    this.queues.set(name, settled);
    void settled.then(() => {
      if (this.queues.get(name) === settled) this.queues.delete(name);
    });
    return result;
  }
}
