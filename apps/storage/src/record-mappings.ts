// How each record kind is kept: its table, the column it is listed by (its parent), which values it refuses (its check,
// from record-checks.ts), and how its protobuf becomes a row and back. One entry per case of the wire record's oneof,
// typed by that case, so a mapping reads its own message and its own table's row with no cast; records.store.ts runs
// the queries.
import { fromBinary, toBinary, type Message, type MessageInitShape } from '@bufbuild/protobuf';
import type { GenMessage } from '@bufbuild/protobuf/codegenv2';
import { timestampFromMs, timestampMs, type Timestamp } from '@bufbuild/protobuf/wkt';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import {
  CatalogModelSchema,
  MemoryFactSchema,
  PersonaSchema,
  ThreadMessageSchema,
  ThreadSchema,
  RecordKind,
  type Record as WireRecord,
  type RecordSchema,
} from '@aico/contracts';
import type { Db } from './database/database';
import {
  consentRecords,
  jobs,
  memoryFacts,
  models,
  personas,
  scheduledTasks,
  sessions,
  settings,
  taskRuns,
  threadMessages,
  threads,
  users,
} from './database/schema';
import type { Limits } from './input';
import { RECORD_CHECKS } from './record-checks';

export type RecordInit = MessageInitShape<typeof RecordSchema>;
/** The record kinds this storage keeps: one per case of the wire record's oneof. */
export type Case = NonNullable<WireRecord['kind']['case']>;
/** A wire record's content with its kind known. */
export type KindOf = Exclude<WireRecord['kind'], { case: undefined }>;
export type ValueOf<C extends Case> = Extract<KindOf, { case: C }>['value'];
/** One case and its value, as a generic function over the case sees them. */
export interface CaseValue<C extends Case> {
  readonly case: C;
  readonly value: ValueOf<C>;
}
export type KeptKind = Exclude<RecordKind, RecordKind.UNSPECIFIED>;

/** The table of each kind. */
export const TABLES = {
  user: users,
  session: sessions,
  consent: consentRecords,
  task: scheduledTasks,
  taskRun: taskRuns,
  job: jobs,
  setting: settings,
  model: models,
  thread: threads,
  threadMessage: threadMessages,
  memoryFact: memoryFacts,
  persona: personas,
} as const satisfies { readonly [C in Case]: SQLiteTable & { id: SQLiteColumn } };
type Tables = typeof TABLES;

/** Every column of a table, read back: what a `select()` of the table answers per row. */
export const selectFrom = <T extends SQLiteTable>(db: Db, table: T) => db.select().from(table);
export type Row<T extends SQLiteTable> = Awaited<ReturnType<typeof selectFrom<T>>>[number];

export interface Mapping<C extends Case> {
  /** The case this mapping is keyed by, again: the type ties the two together, the store reads it from the kind. */
  readonly case: C;
  readonly kind: KeptKind;
  /** The column `parent` of a list or delete request filters on. */
  readonly parent?: SQLiteColumn;
  check(value: ValueOf<C>, limits: Limits): void;
  toRow(value: ValueOf<C>, writer: string): Tables[C]['$inferInsert'];
  fromRow(row: Row<Tables[C]>): RecordInit;
}

const ms = (timestamp: Timestamp | undefined): number | null => (timestamp ? timestampMs(timestamp) : null);
const msOrNow = (timestamp: Timestamp | undefined): number => ms(timestamp) ?? Date.now();
const ts = (value: number): Timestamp => timestampFromMs(value);
/** `fields(value)` when the column holds a time, nothing when it is null (an unset message field). */
const ifSet = <T extends object>(value: number | null, fields: (ms: number) => T): T | Record<never, never> => (value === null ? {} : fields(value));

interface EntrySpec<V extends Message & { id: string }, Columns extends object> {
  readonly parent?: SQLiteColumn;
  /** The columns a kind is found by besides its id (its parent), read from the value. */
  columns(value: V): Columns;
  check(value: V, limits: Limits): void;
}

/**
 * The mapping of a kind kept whole as its protobuf (`entry`) beside the columns it is found by. Generic over the
 * message rather than the case, so each entry of MAPPINGS checks the result against its own case and table, no cast.
 */
const entryMapping = <K extends Case, V extends Message & { id: string }, Columns extends object>(
  which: K,
  kind: KeptKind,
  schema: GenMessage<V>,
  { columns, ...spec }: EntrySpec<V, Columns>,
) => ({
  case: which,
  kind,
  ...spec,
  toRow: (value: V) => ({ id: value.id, entry: Buffer.from(toBinary(schema, value)), updatedAt: Date.now(), ...columns(value) }),
  fromRow: (row: { entry: Buffer }) => ({ kind: { case: which, value: fromBinary(schema, row.entry) } }),
});
const noColumns = () => ({});

export const MAPPINGS: { readonly [C in Case]: Mapping<C> } = {
  user: {
    case: 'user',
    kind: RecordKind.USER,
    check: RECORD_CHECKS.user,
    toRow: (user) => ({
      id: user.id,
      username: user.username,
      displayName: user.displayName,
      role: user.role,
      passwordHash: user.passwordHash,
      disabled: user.disabled,
      createdAt: msOrNow(user.createdAt),
      updatedAt: Date.now(),
    }),
    fromRow: (r) => ({
      kind: {
        case: 'user',
        value: {
          id: r.id,
          username: r.username,
          displayName: r.displayName,
          role: r.role,
          passwordHash: r.passwordHash,
          disabled: r.disabled,
          createdAt: ts(r.createdAt),
          updatedAt: ts(r.updatedAt),
        },
      },
    }),
  },
  session: {
    case: 'session',
    kind: RecordKind.SESSION,
    parent: sessions.userId,
    check: RECORD_CHECKS.session,
    // RECORD_CHECKS.session makes sure expiresAt is set.
    toRow: (s) => ({
      id: s.id,
      userId: s.userId,
      tokenHash: s.tokenHash,
      client: s.client,
      createdAt: msOrNow(s.createdAt),
      expiresAt: msOrNow(s.expiresAt),
      revokedAt: ms(s.revokedAt),
    }),
    fromRow: (r) => ({
      kind: {
        case: 'session',
        value: {
          id: r.id,
          userId: r.userId,
          tokenHash: r.tokenHash,
          client: r.client,
          createdAt: ts(r.createdAt),
          expiresAt: ts(r.expiresAt),
          ...ifSet(r.revokedAt, (at) => ({ revokedAt: ts(at) })),
        },
      },
    }),
  },
  consent: {
    case: 'consent',
    kind: RecordKind.CONSENT,
    parent: consentRecords.userId,
    check: RECORD_CHECKS.consent,
    toRow: (c) => ({ id: c.id, userId: c.userId, purpose: c.purpose, granted: c.granted, recordedAt: msOrNow(c.recordedAt), source: c.source }),
    fromRow: (r) => ({
      kind: { case: 'consent', value: { id: r.id, userId: r.userId, purpose: r.purpose, granted: r.granted, recordedAt: ts(r.recordedAt), source: r.source } },
    }),
  },
  task: {
    case: 'task',
    kind: RecordKind.TASK,
    check: RECORD_CHECKS.task,
    toRow: (t) => ({
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
    }),
    fromRow: (r) => ({
      kind: {
        case: 'task',
        value: {
          id: r.id,
          schedule: r.schedule,
          enabled: r.enabled,
          topic: r.topic,
          payload: r.payload,
          maxAttempts: r.maxAttempts,
          ...ifSet(r.nextRunAt, (at) => ({ nextRunAt: ts(at) })),
          updatedAt: ts(r.updatedAt),
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
    }),
  },
  taskRun: {
    case: 'taskRun',
    kind: RecordKind.TASK_RUN,
    parent: taskRuns.taskId,
    check: RECORD_CHECKS.taskRun,
    toRow: (r) => ({
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
    }),
    fromRow: (r) => ({
      kind: {
        case: 'taskRun',
        value: {
          id: r.id,
          taskId: r.taskId,
          attempt: r.attempt,
          status: r.status,
          ...ifSet(r.scheduledFor, (at) => ({ scheduledFor: ts(at) })),
          ...ifSet(r.startedAt, (at) => ({ startedAt: ts(at) })),
          ...ifSet(r.finishedAt, (at) => ({ finishedAt: ts(at) })),
          error: r.error,
          runId: r.runId,
          trigger: r.trigger,
        },
      },
    }),
  },
  job: {
    case: 'job',
    kind: RecordKind.JOB,
    parent: jobs.status,
    check: RECORD_CHECKS.job,
    toRow: (j) => ({
      id: j.id,
      kind: j.kind,
      status: j.status,
      priority: j.priority,
      payload: Buffer.from(j.payload),
      owner: j.owner,
      createdAt: msOrNow(j.createdAt),
      startedAt: ms(j.startedAt),
      finishedAt: ms(j.finishedAt),
      error: j.error,
    }),
    fromRow: (r) => ({
      kind: {
        case: 'job',
        value: {
          id: r.id,
          kind: r.kind,
          status: r.status,
          priority: r.priority,
          payload: r.payload,
          owner: r.owner,
          createdAt: ts(r.createdAt),
          ...ifSet(r.startedAt, (at) => ({ startedAt: ts(at) })),
          ...ifSet(r.finishedAt, (at) => ({ finishedAt: ts(at) })),
          error: r.error,
        },
      },
    }),
  },
  setting: {
    case: 'setting',
    kind: RecordKind.SETTING,
    check: RECORD_CHECKS.setting,
    toRow: (s, writer) => ({ id: s.id, valueJson: s.valueJson, updatedAt: Date.now(), updatedBy: writer }),
    fromRow: (r) => ({ kind: { case: 'setting', value: { id: r.id, valueJson: r.valueJson, updatedAt: ts(r.updatedAt), updatedBy: r.updatedBy } } }),
  },
  model: entryMapping('model', RecordKind.MODEL, CatalogModelSchema, {
    columns: noColumns,
    check: RECORD_CHECKS.model,
  }),
  thread: entryMapping('thread', RecordKind.THREAD, ThreadSchema, {
    parent: threads.ownerId,
    columns: (thread) => ({ ownerId: thread.ownerId }),
    check: RECORD_CHECKS.thread,
  }),
  threadMessage: entryMapping('threadMessage', RecordKind.THREAD_MESSAGE, ThreadMessageSchema, {
    parent: threadMessages.threadId,
    columns: (message) => ({ threadId: message.threadId }),
    check: RECORD_CHECKS.threadMessage,
  }),
  memoryFact: entryMapping('memoryFact', RecordKind.MEMORY_FACT, MemoryFactSchema, {
    parent: memoryFacts.ownerId,
    columns: (fact) => ({ ownerId: fact.ownerId }),
    check: RECORD_CHECKS.memoryFact,
  }),
  persona: entryMapping('persona', RecordKind.PERSONA, PersonaSchema, {
    columns: noColumns,
    check: RECORD_CHECKS.persona,
  }),
};
