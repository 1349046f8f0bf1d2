// Typed records other services keep here: users, sessions, consent history, scheduled tasks and their runs, jobs,
// settings, models, threads and their messages, memory facts, personas. One generic put/get/list/delete over a table
// per kind; record-mappings.ts says per kind how a record becomes a row and back, and which field pages by parent;
// RECORD_WRITERS (the contracts) which identities may write it.
import { Inject, Injectable } from '@nestjs/common';
import { and, asc, eq, gt, type SQL } from 'drizzle-orm';
import { RECORD_WRITERS, type RecordKind, type Record as WireRecord } from '@aico/contracts';
import { Database, type Db } from './database/database';
import { checkLimit, checkName, checkText, type Limits } from './input';
import { MAPPINGS, TABLES, selectFrom, type Case, type CaseValue, type KindOf, type RecordInit } from './record-mappings';
import { STORAGE_LIMITS } from './storage.tokens';
import { StorageError, StorageErrorCode } from './storage.error';

export type { RecordInit } from './record-mappings';

const CASE_BY_KIND: ReadonlyMap<RecordKind, Case> = new Map(Object.values(MAPPINGS).map((mapping) => [mapping.kind, mapping.case]));

function caseOfKind(kind: RecordKind): Case {
  const which = CASE_BY_KIND.get(kind);
  if (!which) {
    throw new StorageError(
      StorageErrorCode.UnknownRecordKind,
      `Record kind ${kind} is not one this storage keeps (user, session, consent, task, task_run, job, setting, model, thread, thread_message, memory_fact, persona).`,
    );
  }
  return which;
}

/** A record's row: the mapping of its case, which the type holds to its value. */
function rowOf<C extends Case>(which: CaseValue<C>, writer: string) {
  return MAPPINGS[which.case].toRow(which.value, writer);
}

function checkValue<C extends Case>(which: CaseValue<C>, limits: Limits): void {
  MAPPINGS[which.case].check(which.value, limits);
}

async function readRows<C extends Case>(db: Db, which: C, where: SQL | undefined, limit?: number): Promise<RecordInit[]> {
  const table = TABLES[which];
  const query = selectFrom(db, table).where(where).orderBy(asc(table.id));
  const rows = limit === undefined ? await query : await query.limit(limit);
  return rows.map((row) => MAPPINGS[which].fromRow(row));
}

@Injectable()
export class RecordStore {
  constructor(
    private readonly database: Database,
    @Inject(STORAGE_LIMITS) private readonly limits: Limits,
  ) {}

  /** Validates the record and the writer's right to write its kind; returns what `put` needs. */
  checkPut(record: WireRecord | undefined, writer: string): KindOf {
    const which = record?.kind;
    if (!which?.case)
      throw new StorageError(StorageErrorCode.UnknownRecordKind, 'The record carries no kind this storage knows (an empty or newer record type).');
    const writers: readonly string[] = RECORD_WRITERS[MAPPINGS[which.case].kind];
    if (!writers.includes(writer)) {
      throw new StorageError(StorageErrorCode.NotPermitted, `"${writer}" may not write ${which.case} records (writers: ${writers.join(', ')}).`);
    }
    checkName(`${which.case}.id`, which.value.id);
    checkValue(which, this.limits);
    return which;
  }

  /** Inside the write lane only. Returns whether the record is new. */
  async put(which: KindOf, writer: string): Promise<boolean> {
    const table = TABLES[which.case];
    const db = this.database.writes;
    const existing = await db.select({ id: table.id }).from(table).where(eq(table.id, which.value.id));
    const row = rowOf(which, writer);
    const changes = Object.fromEntries(Object.entries(row).filter(([column]) => column !== 'id'));
    await db.insert(table).values(row).onConflictDoUpdate({ target: table.id, set: changes });
    return existing.length === 0;
  }

  async get(kind: RecordKind, id: string): Promise<RecordInit | undefined> {
    const which = caseOfKind(kind);
    checkName('id', id);
    const [record] = await readRows(await this.database.reader(), which, eq(TABLES[which].id, id));
    return record;
  }

  async list(kind: RecordKind, parent: string, afterId: string, limit: number): Promise<{ records: RecordInit[]; nextId: string }> {
    const which = caseOfKind(kind);
    const column = MAPPINGS[which].parent;
    checkText('parent', parent, this.limits);
    checkText('after_id', afterId, this.limits);
    if (parent && !column) throw new StorageError(StorageErrorCode.InvalidArgument, `${which} records are not listed by parent.`);
    const conditions: SQL[] = [];
    if (parent && column) conditions.push(eq(column, parent));
    if (afterId) conditions.push(gt(TABLES[which].id, afterId));
    const pageSize = checkLimit(limit);
    const records = await readRows(await this.database.reader(), which, and(...conditions), pageSize + 1);
    const page = records.slice(0, pageSize);
    return { records: page, nextId: records.length > pageSize ? (page.at(-1)?.kind?.value?.id ?? '') : '' };
  }

  /** Checks the kind and the writer's right before the lane: one id, or (with `parent`) every record under a parent. */
  checkDelete(kind: RecordKind, id: string, writer: string, parent = ''): void {
    const which = caseOfKind(kind);
    const mapping = MAPPINGS[which];
    if (parent) {
      if (id) throw new StorageError(StorageErrorCode.InvalidArgument, 'Delete names one id or one parent, not both.');
      checkName('parent', parent);
      if (!mapping.parent) throw new StorageError(StorageErrorCode.InvalidArgument, `${which} records are not deleted by parent.`);
    } else checkName('id', id);
    const writers: readonly string[] = RECORD_WRITERS[mapping.kind];
    if (!writers.includes(writer)) throw new StorageError(StorageErrorCode.NotPermitted, `"${writer}" may not delete ${which} records.`);
  }

  /** Inside the write lane only. */
  async delete(kind: RecordKind, id: string, db: Db = this.database.writes): Promise<boolean> {
    return (await this.deleteWhere(kind, { id }, db)) > 0;
  }

  /** Inside the write lane only: one record by id, or every record under a parent (in the lane's transaction). */
  async deleteWhere(kind: RecordKind, which: { id: string } | { parent: string }, db: Db = this.database.writes): Promise<number> {
    const kept = caseOfKind(kind);
    const table = TABLES[kept];
    const column = MAPPINGS[kept].parent;
    const condition = 'parent' in which && column ? eq(column, which.parent) : eq(table.id, 'id' in which ? which.id : '');
    const result = await db.delete(table).where(condition);
    return result.rowsAffected;
  }
}
