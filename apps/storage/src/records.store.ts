// Typed records other services keep here: users, sessions, consent history, scheduled tasks and their runs, jobs,
// settings. One generic put/get/list/delete over a table per kind; each kind's mapping says how a protobuf record
// becomes a row and back, which field pages by parent, and which identities may write it (RECORD_WRITERS).
import { Inject, Injectable } from '@nestjs/common';
import { fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import { timestampFromMs, timestampMs, type Timestamp } from '@bufbuild/protobuf/wkt';
import { and, asc, eq, gt, type SQL } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { CatalogModelSchema, MemoryFactSchema, PersonaSchema, RECORD_WRITERS, ThreadMessageSchema, ThreadSchema, RecordKind, type Record as WireRecord, type RecordSchema } from '@aico/contracts';
import { Database, type Db } from './database/database';
import { consentRecords, jobs, memoryFacts, models, personas, scheduledTasks, sessions, settings, taskRuns, threadMessages, threads, users } from './database/schema';
import { checkBytes, checkLimit, checkName, checkText, type Limits } from './input';
import { STORAGE_LIMITS } from './storage.tokens';
import { StorageError, StorageErrorCode } from './storage.error';

type RecordInit = MessageInitShape<typeof RecordSchema>;
type Case = NonNullable<WireRecord['kind']['case']>;
type ValueOf<C extends Case> = Extract<WireRecord['kind'], { case: C }>['value'];

const ms = (timestamp: Timestamp | undefined): number | null => (timestamp ? timestampMs(timestamp) : null);
const msOrNow = (timestamp: Timestamp | undefined): number => ms(timestamp) ?? Date.now();
const ts = (value: number | null): Timestamp | undefined => (value === null ? undefined : timestampFromMs(value));
const optional = <K extends string>(key: K, value: Timestamp | undefined): { [P in K]?: Timestamp } => (value ? ({ [key]: value } as { [P in K]: Timestamp }) : {});

interface Mapping<C extends Case> {
  readonly case: C;
  readonly table: SQLiteTable;
  readonly id: SQLiteColumn;
  /** The column `parent` of a list request filters on. */
  readonly parent?: SQLiteColumn;
  check(value: ValueOf<C>, limits: Limits): void;
  toRow(value: ValueOf<C>, writer: string): Record<string, unknown>;
  fromRow(row: Record<string, unknown>): RecordInit;
}

/** A kind kept whole as its protobuf (`entry`) beside the columns it is found by: id, and the parent it is listed by. */
function entryMapping<C extends Case>(
  which: C,
  schema: GenMessage<ValueOf<C>>,
  table: SQLiteTable & { id: SQLiteColumn; entry: SQLiteColumn },
  parent: SQLiteColumn | undefined,
  check: (value: ValueOf<C>, limits: Limits) => void,
): Mapping<Case> {
  const parentKey = parent ? (Object.entries(table).find(([, column]) => column === parent)?.[0] ?? '') : '';
  return {
    case: which,
    table,
    id: table.id,
    ...(parent ? { parent } : {}),
    check: (value, limits) => check(value as ValueOf<C>, limits),
    toRow: (value) => {
      const typed = value as ValueOf<C>;
      const row: Record<string, unknown> = { id: typed.id, entry: Buffer.from(toBinary(schema, typed)), updatedAt: Date.now() };
      if (parentKey) row[parentKey] = (typed as unknown as Record<string, unknown>)[parentKey];
      return row;
    },
    fromRow: (row) => ({ kind: { case: which, value: fromBinary(schema, row['entry'] as Uint8Array) } }) as RecordInit,
  };
}

const ROLES = new Set(['admin', 'user', 'guest']);

const MAPPINGS: { readonly [K in Exclude<RecordKind, RecordKind.UNSPECIFIED>]: Mapping<Case> } = {
  [RecordKind.USER]: {
    case: 'user',
    table: users,
    id: users.id,
    check(value, limits) {
      const user = value as ValueOf<'user'>;
      checkName('user.username', user.username);
      checkText('user.display_name', user.displayName, limits);
      checkText('user.password_hash', user.passwordHash, limits);
      if (!ROLES.has(user.role)) throw new StorageError(StorageErrorCode.InvalidArgument, `user.role must be admin, user or guest, not "${user.role}".`);
    },
    toRow: (value) => {
      const user = value as ValueOf<'user'>;
      return { id: user.id, username: user.username, displayName: user.displayName, role: user.role, passwordHash: user.passwordHash, disabled: user.disabled, createdAt: msOrNow(user.createdAt), updatedAt: Date.now() };
    },
    fromRow: (row) => {
      const r = row as typeof users.$inferSelect;
      return { kind: { case: 'user', value: { id: r.id, username: r.username, displayName: r.displayName, role: r.role, passwordHash: r.passwordHash, disabled: r.disabled, createdAt: ts(r.createdAt)!, updatedAt: ts(r.updatedAt)! } } };
    },
  },
  [RecordKind.SESSION]: {
    case: 'session',
    table: sessions,
    id: sessions.id,
    parent: sessions.userId,
    check(value, limits) {
      const session = value as ValueOf<'session'>;
      checkName('session.user_id', session.userId);
      checkName('session.token_hash', session.tokenHash);
      checkText('session.client', session.client, limits);
      if (!session.expiresAt) throw new StorageError(StorageErrorCode.InvalidArgument, 'session.expires_at is required.');
    },
    toRow: (value) => {
      const s = value as ValueOf<'session'>;
      return { id: s.id, userId: s.userId, tokenHash: s.tokenHash, client: s.client, createdAt: msOrNow(s.createdAt), expiresAt: ms(s.expiresAt), revokedAt: ms(s.revokedAt) };
    },
    fromRow: (row) => {
      const r = row as typeof sessions.$inferSelect;
      return { kind: { case: 'session', value: { id: r.id, userId: r.userId, tokenHash: r.tokenHash, client: r.client, createdAt: ts(r.createdAt)!, expiresAt: ts(r.expiresAt)!, ...optional('revokedAt', ts(r.revokedAt)) } } };
    },
  },
  [RecordKind.CONSENT]: {
    case: 'consent',
    table: consentRecords,
    id: consentRecords.id,
    parent: consentRecords.userId,
    check(value, limits) {
      const consent = value as ValueOf<'consent'>;
      checkName('consent.user_id', consent.userId);
      checkName('consent.purpose', consent.purpose);
      checkText('consent.source', consent.source, limits);
    },
    toRow: (value) => {
      const c = value as ValueOf<'consent'>;
      return { id: c.id, userId: c.userId, purpose: c.purpose, granted: c.granted, recordedAt: msOrNow(c.recordedAt), source: c.source };
    },
    fromRow: (row) => {
      const r = row as typeof consentRecords.$inferSelect;
      return { kind: { case: 'consent', value: { id: r.id, userId: r.userId, purpose: r.purpose, granted: r.granted, recordedAt: ts(r.recordedAt)!, source: r.source } } };
    },
  },
  [RecordKind.TASK]: {
    case: 'task',
    table: scheduledTasks,
    id: scheduledTasks.id,
    check(value, limits) {
      const task = value as ValueOf<'task'>;
      // A task runs on a cron expression or a fixed interval.
      if (task.intervalMs === 0n) checkName('task.schedule', task.schedule);
      else checkText('task.schedule', task.schedule, limits);
      if (task.intervalMs > BigInt(Number.MAX_SAFE_INTEGER)) throw new StorageError(StorageErrorCode.InvalidArgument, 'task.interval_ms is too large.');
      checkName('task.topic', task.topic);
      checkBytes('task.payload', task.payload, limits);
      checkText('task.time_zone', task.timeZone, limits);
      checkText('task.missed_run_policy', task.missedRunPolicy, limits);
      checkText('task.owner', task.owner, limits);
      checkText('task.description', task.description, limits);
      if (!Number.isFinite(task.backoffJitter)) throw new StorageError(StorageErrorCode.InvalidArgument, 'task.backoff_jitter must be a finite number.');
    },
    toRow: (value) => {
      const t = value as ValueOf<'task'>;
      return {
        id: t.id,
        schedule: t.schedule,
        enabled: t.enabled,
        topic: t.topic,
        payload: Buffer.from(t.payload),
        maxAttempts: Math.max(1, t.maxAttempts),
        nextRunAt: ms(t.nextRunAt),
        updatedAt: Date.now(),
        intervalMs: Number(t.intervalMs),
        timeZone: t.timeZone,
        timeoutMs: t.timeoutMs,
        backoffInitialMs: t.backoffInitialMs,
        backoffMaxMs: t.backoffMaxMs,
        backoffJitter: t.backoffJitter,
        missedRunPolicy: t.missedRunPolicy,
        owner: t.owner,
        description: t.description,
      };
    },
    fromRow: (row) => {
      const r = row as typeof scheduledTasks.$inferSelect;
      return {
        kind: {
          case: 'task',
          value: {
            id: r.id,
            schedule: r.schedule,
            enabled: r.enabled,
            topic: r.topic,
            payload: r.payload,
            maxAttempts: r.maxAttempts,
            ...optional('nextRunAt', ts(r.nextRunAt)),
            updatedAt: ts(r.updatedAt)!,
            intervalMs: BigInt(r.intervalMs),
            timeZone: r.timeZone,
            timeoutMs: r.timeoutMs,
            backoffInitialMs: r.backoffInitialMs,
            backoffMaxMs: r.backoffMaxMs,
            backoffJitter: r.backoffJitter,
            missedRunPolicy: r.missedRunPolicy,
            owner: r.owner,
            description: r.description,
          },
        },
      };
    },
  },
  [RecordKind.TASK_RUN]: {
    case: 'taskRun',
    table: taskRuns,
    id: taskRuns.id,
    parent: taskRuns.taskId,
    check(value, limits) {
      const run = value as ValueOf<'taskRun'>;
      checkName('task_run.task_id', run.taskId);
      checkName('task_run.status', run.status);
      checkText('task_run.error', run.error, limits);
      checkText('task_run.run_id', run.runId, limits);
      checkText('task_run.trigger', run.trigger, limits);
    },
    toRow: (value) => {
      const r = value as ValueOf<'taskRun'>;
      return {
        id: r.id,
        taskId: r.taskId,
        attempt: r.attempt,
        status: r.status,
        scheduledFor: ms(r.scheduledFor),
        startedAt: ms(r.startedAt),
        finishedAt: ms(r.finishedAt),
        error: r.error,
        runId: r.runId,
        trigger: r.trigger,
      };
    },
    fromRow: (row) => {
      const r = row as typeof taskRuns.$inferSelect;
      return {
        kind: {
          case: 'taskRun',
          value: {
            id: r.id,
            taskId: r.taskId,
            attempt: r.attempt,
            status: r.status,
            ...optional('scheduledFor', ts(r.scheduledFor)),
            ...optional('startedAt', ts(r.startedAt)),
            ...optional('finishedAt', ts(r.finishedAt)),
            error: r.error,
            runId: r.runId,
            trigger: r.trigger,
          },
        },
      };
    },
  },
  [RecordKind.JOB]: {
    case: 'job',
    table: jobs,
    id: jobs.id,
    parent: jobs.status,
    check(value, limits) {
      const job = value as ValueOf<'job'>;
      checkName('job.kind', job.kind);
      checkName('job.status', job.status);
      checkBytes('job.payload', job.payload, limits);
      checkText('job.error', job.error, limits);
      checkText('job.owner', job.owner, limits);
    },
    toRow: (value) => {
      const j = value as ValueOf<'job'>;
      return { id: j.id, kind: j.kind, status: j.status, priority: j.priority, payload: Buffer.from(j.payload), owner: j.owner, createdAt: msOrNow(j.createdAt), startedAt: ms(j.startedAt), finishedAt: ms(j.finishedAt), error: j.error };
    },
    fromRow: (row) => {
      const r = row as typeof jobs.$inferSelect;
      return {
        kind: {
          case: 'job',
          value: { id: r.id, kind: r.kind, status: r.status, priority: r.priority, payload: r.payload, owner: r.owner, createdAt: ts(r.createdAt)!, ...optional('startedAt', ts(r.startedAt)), ...optional('finishedAt', ts(r.finishedAt)), error: r.error },
        },
      };
    },
  },
  [RecordKind.SETTING]: {
    case: 'setting',
    table: settings,
    id: settings.id,
    check(value, limits) {
      const setting = value as ValueOf<'setting'>;
      checkText('setting.value_json', setting.valueJson, limits);
      try {
        JSON.parse(setting.valueJson);
      } catch {
        throw new StorageError(StorageErrorCode.InvalidArgument, `setting.value_json of "${setting.id}" is not JSON.`);
      }
    },
    toRow: (value, writer) => {
      const s = value as ValueOf<'setting'>;
      return { id: s.id, valueJson: s.valueJson, updatedAt: Date.now(), updatedBy: writer };
    },
    fromRow: (row) => {
      const r = row as typeof settings.$inferSelect;
      return { kind: { case: 'setting', value: { id: r.id, valueJson: r.valueJson, updatedAt: ts(r.updatedAt)!, updatedBy: r.updatedBy } } };
    },
  },
  [RecordKind.MODEL]: entryMapping('model', CatalogModelSchema, models, undefined, (model, limits) => {
    // A file name inside the models directory, never a path out of it.
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(model.file)) throw new StorageError(StorageErrorCode.InvalidArgument, `model.file must be a plain file name, not "${model.file.slice(0, 80)}".`);
    if (model.sha256 !== '' && !/^[0-9a-f]{64}$/.test(model.sha256)) throw new StorageError(StorageErrorCode.InvalidArgument, 'model.sha256 must be 64 lowercase hex digits.');
    for (const [field, text] of [['architecture', model.architecture], ['quantization', model.quantization], ['source', model.source], ['display_name', model.displayName]] as const) checkText(`model.${field}`, text, limits);
  }),
  [RecordKind.THREAD]: entryMapping('thread', ThreadSchema, threads, threads.ownerId, (thread, limits) => {
    checkName('thread.owner_id', thread.ownerId);
    for (const [field, text] of [['title', thread.title], ['summary', thread.summary], ['summarized_through', thread.summarizedThrough]] as const) checkText(`thread.${field}`, text, limits);
  }),
  [RecordKind.THREAD_MESSAGE]: entryMapping('threadMessage', ThreadMessageSchema, threadMessages, threadMessages.threadId, (message, limits) => {
    checkName('thread_message.thread_id', message.threadId);
    checkName('thread_message.owner_id', message.ownerId);
    for (const [field, text] of [['text', message.text], ['model', message.model], ['error_message', message.errorMessage]] as const) checkText(`thread_message.${field}`, text, limits);
  }),
  [RecordKind.MEMORY_FACT]: entryMapping('memoryFact', MemoryFactSchema, memoryFacts, memoryFacts.ownerId, (fact, limits) => {
    checkName('memory_fact.owner_id', fact.ownerId);
    checkText('memory_fact.text', fact.text, limits);
    checkText('memory_fact.source_thread_id', fact.sourceThreadId, limits);
    if (fact.embedding.length > 8192 || fact.embedding.some((x) => !Number.isFinite(x))) throw new StorageError(StorageErrorCode.InvalidArgument, 'memory_fact.embedding must be at most 8192 finite numbers.');
  }),
  [RecordKind.PERSONA]: entryMapping('persona', PersonaSchema, personas, undefined, (persona, limits) => {
    for (const [field, text] of [['name', persona.name], ['system_prompt', persona.systemPrompt], ['expression', persona.expression], ['updated_by', persona.updatedBy]] as const) checkText(`persona.${field}`, text, limits);
  }),
};

const KIND_BY_CASE = new Map<Case, Exclude<RecordKind, RecordKind.UNSPECIFIED>>(Object.entries(MAPPINGS).map(([kind, mapping]) => [mapping.case, Number(kind) as Exclude<RecordKind, RecordKind.UNSPECIFIED>]));

function mappingOf(kind: RecordKind): Mapping<Case> {
  const mapping = (MAPPINGS as Partial<Record<RecordKind, Mapping<Case>>>)[kind];
  if (!mapping) {
    throw new StorageError(StorageErrorCode.UnknownRecordKind, `Record kind ${kind} is not one this storage keeps (user, session, consent, task, task_run, job, setting, model, thread, thread_message, memory_fact, persona).`);
  }
  return mapping;
}

@Injectable()
export class RecordStore {
  constructor(
    private readonly database: Database,
    @Inject(STORAGE_LIMITS) private readonly limits: Limits,
  ) {}

  /** Validates the record and the writer's right to write its kind; returns what `put` needs. */
  checkPut(record: WireRecord | undefined, writer: string): { kind: RecordKind; value: ValueOf<Case> } {
    const which = record?.kind;
    if (!which?.case) throw new StorageError(StorageErrorCode.UnknownRecordKind, 'The record carries no kind this storage knows (an empty or newer record type).');
    const kind = KIND_BY_CASE.get(which.case)!;
    const writers: readonly string[] = RECORD_WRITERS[kind];
    if (!writers.includes(writer)) {
      throw new StorageError(StorageErrorCode.NotPermitted, `"${writer}" may not write ${which.case} records (writers: ${writers.join(', ')}).`);
    }
    const mapping = mappingOf(kind);
    checkName(`${which.case}.id`, which.value.id);
    mapping.check(which.value, this.limits);
    return { kind, value: which.value };
  }

  /** Inside the write lane only. Returns whether the record is new. */
  async put(kind: RecordKind, value: ValueOf<Case>, writer: string): Promise<boolean> {
    const mapping = mappingOf(kind);
    const db = this.database.writes;
    const existing = await db.select({ id: mapping.id }).from(mapping.table).where(eq(mapping.id, value.id));
    const row = mapping.toRow(value, writer);
    const changes = Object.fromEntries(Object.entries(row).filter(([column]) => column !== 'id'));
    await db.insert(mapping.table).values(row).onConflictDoUpdate({ target: mapping.id, set: changes });
    return existing.length === 0;
  }

  async get(kind: RecordKind, id: string): Promise<RecordInit | undefined> {
    const mapping = mappingOf(kind);
    checkName('id', id);
    const [row] = await (await this.database.reader()).select().from(mapping.table).where(eq(mapping.id, id));
    return row ? mapping.fromRow(row) : undefined;
  }

  async list(kind: RecordKind, parent: string, afterId: string, limit: number): Promise<{ records: RecordInit[]; nextId: string }> {
    const mapping = mappingOf(kind);
    checkText('parent', parent, this.limits);
    checkText('after_id', afterId, this.limits);
    if (parent && !mapping.parent) throw new StorageError(StorageErrorCode.InvalidArgument, `${mapping.case} records are not listed by parent.`);
    const conditions: SQL[] = [];
    if (parent && mapping.parent) conditions.push(eq(mapping.parent, parent));
    if (afterId) conditions.push(gt(mapping.id, afterId));
    const pageSize = checkLimit(limit);
    const rows = await (await this.database.reader())
      .select()
      .from(mapping.table)
      .where(and(...conditions))
      .orderBy(asc(mapping.id))
      .limit(pageSize + 1);
    const page = rows.slice(0, pageSize);
    return { records: page.map((row) => mapping.fromRow(row)), nextId: rows.length > pageSize ? String((page.at(-1) as { id: string }).id) : '' };
  }

  /** Checks the kind and the writer's right before the lane: one id, or (with `parent`) every record under a parent. */
  checkDelete(kind: RecordKind, id: string, writer: string, parent = ''): void {
    const mapping = mappingOf(kind);
    if (parent) {
      if (id) throw new StorageError(StorageErrorCode.InvalidArgument, 'Delete names one id or one parent, not both.');
      checkName('parent', parent);
      if (!mapping.parent) throw new StorageError(StorageErrorCode.InvalidArgument, `${mapping.case} records are not deleted by parent.`);
    } else checkName('id', id);
    const writers: readonly string[] = RECORD_WRITERS[kind as Exclude<RecordKind, RecordKind.UNSPECIFIED>];
    if (!writers.includes(writer)) throw new StorageError(StorageErrorCode.NotPermitted, `"${writer}" may not delete ${mapping.case} records.`);
  }

  /** Inside the write lane only. */
  async delete(kind: RecordKind, id: string, db: Db = this.database.writes): Promise<boolean> {
    return (await this.deleteWhere(kind, { id }, db)) > 0;
  }

  /** Inside the write lane only: one record by id, or every record under a parent (in the lane's transaction). */
  async deleteWhere(kind: RecordKind, which: { id: string } | { parent: string }, db: Db = this.database.writes): Promise<number> {
    const mapping = mappingOf(kind);
    const condition = 'parent' in which && mapping.parent ? eq(mapping.parent, which.parent) : eq(mapping.id, 'id' in which ? which.id : '');
    const result = await db.delete(mapping.table).where(condition);
    return result.rowsAffected;
  }
}
