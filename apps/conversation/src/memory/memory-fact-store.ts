// The facts remembered of each user, as storage records (kind MEMORY_FACT, parent: the user). Ids sort by time, so
// a user's facts list oldest first.
import { randomUUID } from 'node:crypto';
import { RecordKind, type MemoryFact } from '@aico/contracts';
import type { StorageClient } from '@aico/storage-client';

export interface MemoryFactStore {
  /** Every fact of a user, oldest first. */
  list(userId: string): Promise<MemoryFact[]>;
  /** The fact of this id, whoever's it is (the caller checks the owner). */
  get(factId: string): Promise<MemoryFact | undefined>;
  put(fact: MemoryFact): Promise<void>;
  delete(factId: string): Promise<void>;
  /** Deletes every fact of a user in one request; answers how many there were. */
  deleteAll(userId: string): Promise<number>;
}

/** A new fact id: the time (ms, zero-padded) first, so ids sort by when the fact was learnt. */
export const newFactId = (now = Date.now()): string => `${String(now).padStart(15, '0')}-${randomUUID()}`;

export class StorageMemoryFactStore implements MemoryFactStore {
  constructor(private readonly storage: StorageClient) {}

  async list(userId: string): Promise<MemoryFact[]> {
    const facts: MemoryFact[] = [];
    for await (const record of this.storage.allRecords(RecordKind.MEMORY_FACT, userId)) if (record.kind.case === 'memoryFact') facts.push(record.kind.value);
    return facts;
  }

  async get(factId: string): Promise<MemoryFact | undefined> {
    const found = await this.storage.getRecord(RecordKind.MEMORY_FACT, factId);
    return found.found && found.record?.kind.case === 'memoryFact' ? found.record.kind.value : undefined;
  }

  async put(fact: MemoryFact): Promise<void> {
    await this.storage.putRecord({ kind: { case: 'memoryFact', value: fact } });
  }

  async delete(factId: string): Promise<void> {
    await this.storage.deleteRecord(RecordKind.MEMORY_FACT, factId);
  }

  async deleteAll(userId: string): Promise<number> {
    const answer = await this.storage.deleteRecordsOf(RecordKind.MEMORY_FACT, userId);
    return answer.count;
  }
}
