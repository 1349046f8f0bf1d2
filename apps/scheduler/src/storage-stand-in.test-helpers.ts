// A stand-in for the storage service in the scheduler's contract tests (an app may not import another app): the
// records part of the storage contract in memory (put, get, list by parent in id order with paging, delete, writers
// per kind), a backup that writes a small file where it is asked to, and a database check whose answer the test
// sets. The scheduler's e2e test runs against the real storage process.
import { writeFile } from 'node:fs/promises';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { TestBus, TestClient } from '@aico/bus/testing';
import {
  PublicError,
  RECORD_WRITERS,
  RecordKind,
  StorageErrorCode,
  StorageTopics,
  type Record as StoredRecord,
  type ScheduledTask,
  type TaskRun,
} from '@aico/contracts';

class StandInStorageError extends PublicError<StorageErrorCode> {}

const KINDS: Partial<Readonly<Record<NonNullable<StoredRecord['kind']['case']>, RecordKind>>> = { task: RecordKind.TASK, taskRun: RecordKind.TASK_RUN };

export class StorageStandIn {
  private readonly tables = new Map<RecordKind, Map<string, StoredRecord>>();
  readonly backups: string[] = [];
  readonly writes: { kind: RecordKind; id: string; writer: string }[] = [];
  databaseProblems: string[] = [];

  private constructor(readonly client: TestClient) {}

  static async start(bus: TestBus): Promise<StorageStandIn> {
    const standIn = new StorageStandIn(bus.client('storage'));
    standIn.serve();
    await standIn.client.connect();
    return standIn;
  }

  tasks(): ScheduledTask[] {
    return [...(this.tables.get(RecordKind.TASK)?.values() ?? [])].map((record) => record.kind.value as ScheduledTask);
  }

  task(name: string): ScheduledTask | undefined {
    return this.tasks().find((task) => task.id === name);
  }

  runs(task: string): TaskRun[] {
    return [...(this.tables.get(RecordKind.TASK_RUN)?.values() ?? [])]
      .map((record) => record.kind.value as TaskRun)
      .filter((run) => run.taskId === task)
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  private table(kind: RecordKind): Map<string, StoredRecord> {
    let table = this.tables.get(kind);
    if (!table) this.tables.set(kind, (table = new Map()));
    return table;
  }

  private serve(): void {
    this.client.handle(StorageTopics.recordPut, (request) => {
      const record = request.payload.record;
      const kind = record?.kind.case ? KINDS[record.kind.case] : undefined;
      if (!record || kind === undefined) throw new StandInStorageError(StorageErrorCode.UnknownRecordKind, 'The stand-in keeps tasks and task runs only.');
      const writers: readonly string[] = RECORD_WRITERS[kind as Exclude<RecordKind, RecordKind.UNSPECIFIED>];
      if (!writers.includes(request.source)) throw new StandInStorageError(StorageErrorCode.NotPermitted, `"${request.source}" may not write this kind.`);
      const id = record.kind.value!.id;
      const created = !this.table(kind).has(id);
      this.table(kind).set(id, record);
      this.writes.push({ kind, id, writer: request.source });
      return { created };
    });
    this.client.handle(StorageTopics.recordGet, (request) => {
      const record = this.table(request.payload.kind).get(request.payload.id);
      return record ? { found: true, record } : { found: false };
    });
    this.client.handle(StorageTopics.recordList, (request) => {
      const { kind, parent, afterId, limit } = request.payload;
      const all = [...this.table(kind).entries()]
        .filter(([id, record]) => id > afterId && (!parent || (record.kind.case === 'taskRun' && record.kind.value.taskId === parent)))
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const size = limit || 100;
      const page = all.slice(0, size);
      return { records: page.map(([, record]) => record), nextId: all.length > size ? page.at(-1)![0] : '' };
    });
    this.client.handle(StorageTopics.recordDelete, (request) => {
      const writers: readonly string[] = RECORD_WRITERS[request.payload.kind as Exclude<RecordKind, RecordKind.UNSPECIFIED>] ?? [];
      if (!writers.includes(request.source)) throw new StandInStorageError(StorageErrorCode.NotPermitted, `"${request.source}" may not delete this kind.`);
      return { deleted: this.table(request.payload.kind).delete(request.payload.id) };
    });
    this.client.handle(StorageTopics.backupCreate, async (request) => {
      await writeFile(request.payload.path, 'stand-in archive');
      this.backups.push(request.payload.path);
      return { path: request.payload.path, sizeBytes: 16n, entries: 1, createdAt: timestampFromMs(Date.now()) };
    });
    this.client.handle(StorageTopics.databaseCheck, () => ({
      ok: this.databaseProblems.length === 0,
      problems: this.databaseProblems,
      schemaMigration: '0001_scheduler_tasks',
      databaseKeyVersion: 1,
      sizeBytes: 4096n,
      walBytes: 0n,
    }));
  }
}
