// Registrations and run history in storage (the only place the scheduler persists anything): tasks as
// RecordKind.TASK records named by the task, each attempt as a RecordKind.TASK_RUN record whose parent is its task.
import { Injectable } from '@nestjs/common';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { RecordKind, type ScheduledTask, type ScheduledTaskSchema } from '@aico/contracts';
import { StorageClient } from '@aico/storage-client';
import { entryFromRecord, entryToRecord, type RunEntry } from './run-entry';

const PAGE = 500;

@Injectable()
export class TaskStore {
  constructor(private readonly storage: StorageClient) {}

  async loadTasks(): Promise<ScheduledTask[]> {
    const tasks: ScheduledTask[] = [];
    for await (const record of this.storage.allRecords(RecordKind.TASK, '', PAGE)) if (record.kind.case === 'task') tasks.push(record.kind.value);
    return tasks;
  }

  /** Acknowledged once committed. */
  async saveTask(record: MessageInitShape<typeof ScheduledTaskSchema>): Promise<void> {
    await this.storage.putRecord({ kind: { case: 'task', value: record } });
  }

  async deleteTask(name: string): Promise<void> {
    await this.storage.deleteRecord(RecordKind.TASK, name);
  }

  async saveRun(entry: RunEntry): Promise<void> {
    await this.storage.putRecord({ kind: { case: 'taskRun', value: entryToRecord(entry) } });
  }

  async deleteRun(id: string): Promise<void> {
    await this.storage.deleteRecord(RecordKind.TASK_RUN, id);
  }

  /** Every stored entry of one task (or of all tasks, for ''), oldest first. Retention keeps this bounded. */
  async loadRuns(task: string): Promise<RunEntry[]> {
    const entries: RunEntry[] = [];
    for await (const record of this.storage.allRecords(RecordKind.TASK_RUN, task, PAGE))
      if (record.kind.case === 'taskRun') entries.push(entryFromRecord(record.kind.value));
    return entries;
  }
}
