// The storage service's tables (drizzle-orm). Change them only together with a generated migration
// (`npm run db:generate`); migrations are committed and applied at start. Times are integer milliseconds since the
// epoch; values other services hand over opaque are BLOBs, never TEXT (docs/architecture.md §6: invalid UTF-8 TEXT aborts libSQL).
import { sql } from 'drizzle-orm';
import { blob, index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

const millis = (name: string) => integer(name, { mode: 'number' });

export const state = sqliteTable(
  'state',
  {
    namespace: text('namespace').notNull(),
    key: text('key').notNull(),
    value: blob('value', { mode: 'buffer' }).notNull(),
    version: integer('version').notNull(),
    updatedAt: millis('updated_at').notNull(),
    updatedBy: text('updated_by').notNull(),
  },
  (table) => [primaryKey({ columns: [table.namespace, table.key] })],
);

export const logs = sqliteTable(
  'logs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    time: millis('time').notNull(),
    level: integer('level').notNull(),
    service: text('service').notNull(),
    instanceId: text('instance_id').notNull().default(''),
    context: text('context').notNull().default(''),
    message: text('message').notNull(),
    correlationId: text('correlation_id').notNull().default(''),
    fieldsJson: text('fields_json').notNull().default(''),
  },
  (table) => [index('logs_time').on(table.time), index('logs_service_time').on(table.service, table.time), index('logs_correlation').on(table.correlationId)],
);

export const events = sqliteTable(
  'events',
  {
    sequence: integer('sequence').primaryKey({ autoIncrement: true }),
    topic: text('topic').notNull(),
    source: text('source').notNull(),
    messageId: text('message_id').notNull(),
    time: millis('time').notNull(),
    correlationId: text('correlation_id').notNull().default(''),
    /** Appended events only: recorded bus events keep no payload (it may carry what a person said). */
    payload: blob('payload', { mode: 'buffer' }).notNull(),
    /** The user the event is about (envelope attribute `user`); '' when none. */
    userId: text('user_id').notNull().default(''),
    payloadBytes: integer('payload_bytes').notNull().default(0),
    /** Recorded from the bus by the history recorder (metadata only), not appended explicitly. */
    recorded: integer('recorded', { mode: 'boolean' }).notNull().default(false),
  },
  (table) => [
    index('events_topic_sequence').on(table.topic, table.sequence),
    index('events_message_id').on(table.messageId),
    index('events_time').on(table.time),
  ],
);

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  username: text('username').notNull().unique(),
  displayName: text('display_name').notNull().default(''),
  role: text('role').notNull(),
  passwordHash: text('password_hash').notNull().default(''),
  disabled: integer('disabled', { mode: 'boolean' }).notNull().default(false),
  createdAt: millis('created_at').notNull(),
  updatedAt: millis('updated_at').notNull(),
});

export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    client: text('client').notNull().default(''),
    createdAt: millis('created_at').notNull(),
    expiresAt: millis('expires_at').notNull(),
    revokedAt: millis('revoked_at'),
  },
  (table) => [index('sessions_user').on(table.userId)],
);

export const consentRecords = sqliteTable(
  'consent_records',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose').notNull(),
    granted: integer('granted', { mode: 'boolean' }).notNull(),
    recordedAt: millis('recorded_at').notNull(),
    source: text('source').notNull().default(''),
  },
  (table) => [index('consent_user_purpose').on(table.userId, table.purpose, table.recordedAt)],
);

export const scheduledTasks = sqliteTable('scheduled_tasks', {
  id: text('id').primaryKey(),
  schedule: text('schedule').notNull(),
  enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
  topic: text('topic').notNull(),
  payload: blob('payload', { mode: 'buffer' })
    .notNull()
    .default(sql`x''`),
  maxAttempts: integer('max_attempts').notNull().default(1),
  nextRunAt: millis('next_run_at'),
  updatedAt: millis('updated_at').notNull(),
  intervalMs: integer('interval_ms').notNull().default(0),
  timeZone: text('time_zone').notNull().default(''),
  timeoutMs: integer('timeout_ms').notNull().default(0),
  backoffInitialMs: integer('backoff_initial_ms').notNull().default(0),
  backoffMaxMs: integer('backoff_max_ms').notNull().default(0),
  backoffJitter: real('backoff_jitter').notNull().default(0),
  missedRunPolicy: text('missed_run_policy').notNull().default(''),
  owner: text('owner').notNull().default(''),
  description: text('description').notNull().default(''),
});

export const taskRuns = sqliteTable(
  'task_runs',
  {
    id: text('id').primaryKey(),
    taskId: text('task_id').notNull(),
    attempt: integer('attempt').notNull().default(1),
    status: text('status').notNull(),
    scheduledFor: millis('scheduled_for'),
    startedAt: millis('started_at'),
    finishedAt: millis('finished_at'),
    error: text('error').notNull().default(''),
    runId: text('run_id').notNull().default(''),
    trigger: text('trigger').notNull().default(''),
  },
  (table) => [index('task_runs_task').on(table.taskId, table.id)],
);

export const jobs = sqliteTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    status: text('status').notNull(),
    priority: integer('priority').notNull().default(0),
    payload: blob('payload', { mode: 'buffer' })
      .notNull()
      .default(sql`x''`),
    owner: text('owner').notNull().default(''),
    createdAt: millis('created_at').notNull(),
    startedAt: millis('started_at'),
    finishedAt: millis('finished_at'),
    error: text('error').notNull().default(''),
  },
  (table) => [index('jobs_status').on(table.status, table.priority)],
);

export const settings = sqliteTable('settings', {
  id: text('id').primaryKey(),
  valueJson: text('value_json').notNull(),
  updatedAt: millis('updated_at').notNull(),
  updatedBy: text('updated_by').notNull(),
});

/**
 * The models service's catalog: one model file each (the weights stay in <dataDir>/models, outside the database and
 * its backups). The entry is kept whole as protobuf bytes (a BLOB: the text in it is never read back as TEXT).
 */
export const models = sqliteTable('models', {
  id: text('id').primaryKey(),
  entry: blob('entry', { mode: 'buffer' }).notNull(),
  updatedAt: millis('updated_at').notNull(),
});

/**
 * The conversation service's records, each kept whole as its protobuf (an opaque BLOB) beside the columns it is
 * found by: threads by owner, messages by thread (ids sort by time), memory facts by owner, the persona by id.
 */
export const threads = sqliteTable(
  'threads',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id').notNull(),
    entry: blob('entry', { mode: 'buffer' }).notNull(),
    updatedAt: millis('updated_at').notNull(),
  },
  (table) => [index('threads_owner').on(table.ownerId, table.id)],
);

export const threadMessages = sqliteTable(
  'thread_messages',
  {
    id: text('id').primaryKey(),
    threadId: text('thread_id').notNull(),
    entry: blob('entry', { mode: 'buffer' }).notNull(),
    updatedAt: millis('updated_at').notNull(),
  },
  (table) => [index('thread_messages_thread').on(table.threadId, table.id)],
);

export const memoryFacts = sqliteTable(
  'memory_facts',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id').notNull(),
    entry: blob('entry', { mode: 'buffer' }).notNull(),
    updatedAt: millis('updated_at').notNull(),
  },
  (table) => [index('memory_facts_owner').on(table.ownerId, table.id)],
);

export const personas = sqliteTable('personas', {
  id: text('id').primaryKey(),
  entry: blob('entry', { mode: 'buffer' }).notNull(),
  updatedAt: millis('updated_at').notNull(),
});

/** The reply to an acknowledged write, by idempotency key: a retried write is answered from here, not applied again. */
export const writeReceipts = sqliteTable(
  'write_receipts',
  {
    key: text('key').primaryKey(),
    topic: text('topic').notNull(),
    response: blob('response', { mode: 'buffer' }).notNull(),
    createdAt: millis('created_at').notNull(),
  },
  (table) => [index('write_receipts_created').on(table.createdAt)],
);
