// At the edge of the conversation contract tests: storage's record and state topics answered from memory by a
// client with storage's identity (storage's own contract tests cover the real database; the e2e tests run it).
// Records of the kinds the conversation service keeps, listed by parent in id order like storage lists them.
import { create } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import type { BusClient } from '@aico/bus';
import { PublicError, RecordKind, StateEntrySchema, StorageErrorCode, StorageTopics, type Record as StoredRecord, type StateEntry } from '@aico/contracts';

class StorageRefusal extends PublicError<StorageErrorCode> {}

export class StorageStandIn {
  readonly records = new Map<string, StoredRecord>();
  readonly state = new Map<string, StateEntry>();
  /** Set: every record write is refused (storage refusing a write, e.g. the disk is full). */
  refuseWrites = false;
  /** Set: record deletes wait for it (a delete in progress); `deleteArrived` resolves when one comes in. */
  holdDeletes: Promise<void> | undefined;
  private deleteWaiters: (() => void)[] = [];
  private putWaiters: { predicate: (record: StoredRecord) => boolean; resolve: () => void }[] = [];

  constructor(client: BusClient) {
    client.handle(StorageTopics.recordPut, ({ payload: { record } }) => {
      if (this.refuseWrites) throw new StorageRefusal(StorageErrorCode.DiskFull, 'The disk is full.');
      const key = recordKey(record!);
      const created = !this.records.has(key);
      this.records.set(key, record!);
      this.putWaiters = this.putWaiters.filter((waiter) => (waiter.predicate(record!) ? (waiter.resolve(), false) : true));
      return { created };
    });
    client.handle(StorageTopics.recordGet, ({ payload }) => {
      const record = this.records.get(`${payload.kind}/${payload.id}`);
      return record ? { found: true, record } : { found: false };
    });
    client.handle(StorageTopics.recordList, ({ payload }) => {
      const all = this.of(payload.kind, payload.parent).filter(([id]) => id > payload.afterId);
      const limit = payload.limit || 100;
      const page = all.slice(0, limit);
      return { records: page.map(([, record]) => record), nextId: all.length > limit ? page.at(-1)![0] : '' };
    });
    client.handle(StorageTopics.recordDelete, async ({ payload }) => {
      if (this.holdDeletes) {
        for (const arrived of this.deleteWaiters.splice(0)) arrived();
        await this.holdDeletes;
      }
      const ids = payload.parent
        ? this.of(payload.kind, payload.parent).map(([id]) => id)
        : this.records.has(`${payload.kind}/${payload.id}`)
          ? [payload.id]
          : [];
      for (const id of ids) this.records.delete(`${payload.kind}/${id}`);
      return { deleted: ids.length > 0, count: ids.length };
    });
    client.handle(StorageTopics.statePut, ({ payload, source }) => {
      const key = `${payload.namespace}/${payload.key}`;
      const version = (this.state.get(key)?.version ?? 0n) + 1n;
      this.state.set(
        key,
        create(StateEntrySchema, {
          namespace: payload.namespace,
          key: payload.key,
          value: payload.value,
          version,
          updatedAt: timestampNow(),
          updatedBy: source,
        }),
      );
      return { version };
    });
    client.handle(StorageTopics.stateGet, ({ payload }) => {
      const entry = this.state.get(`${payload.namespace}/${payload.key}`);
      return entry ? { found: true, entry } : { found: false };
    });
    client.handle(StorageTopics.stateDelete, ({ payload }) => ({ deleted: this.state.delete(`${payload.namespace}/${payload.key}`) }));
    client.handle(StorageTopics.stateList, ({ payload }) => {
      const entries = [...this.state.values()]
        .filter((entry) => entry.namespace === payload.namespace && entry.key.startsWith(payload.prefix) && entry.key > payload.afterKey)
        .sort((a, b) => (a.key < b.key ? -1 : 1));
      return { entries, nextKey: '' };
    });
  }

  /** Resolves once a record delete comes in while deletes are held. */
  deleteArrived(): Promise<void> {
    return new Promise((resolve) => this.deleteWaiters.push(resolve));
  }

  /** Resolves once a record that matches is written (from now on). */
  written(predicate: (record: StoredRecord) => boolean): Promise<void> {
    return new Promise((resolve) => this.putWaiters.push({ predicate, resolve }));
  }

  /** [id, record] of a kind under a parent, in id order. */
  private of(kind: RecordKind, parent: string): [string, StoredRecord][] {
    return [...this.records.entries()]
      .filter(([key]) => key.startsWith(`${kind}/`))
      .map(([key, record]): [string, StoredRecord] => [key.slice(String(kind).length + 1), record])
      .filter(([, record]) => !parent || parentOf(record) === parent)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

function recordKey(record: StoredRecord): string {
  switch (record.kind.case) {
    case 'thread':
      return `${RecordKind.THREAD}/${record.kind.value.id}`;
    case 'threadMessage':
      return `${RecordKind.THREAD_MESSAGE}/${record.kind.value.id}`;
    case 'memoryFact':
      return `${RecordKind.MEMORY_FACT}/${record.kind.value.id}`;
    case 'persona':
      return `${RecordKind.PERSONA}/${record.kind.value.id}`;
    default:
      throw new Error(`the storage stand-in keeps no ${record.kind.case ?? 'empty'} records`);
  }
}

function parentOf(record: StoredRecord): string {
  switch (record.kind.case) {
    case 'thread':
      return record.kind.value.ownerId;
    case 'threadMessage':
      return record.kind.value.threadId;
    case 'memoryFact':
      return record.kind.value.ownerId;
    default:
      return '';
  }
}
