// Topics of the `storage` domain, answered by the storage service, the only process that opens the database.
// Writes are acknowledged only after they are committed and carry idempotency keys (libs/storage-client retries
// with the same key until acknowledged or its deadline). Which record kinds an identity may write is checked by
// storage itself (RECORD_WRITERS), since one topic carries every kind.
import {
  AppendEventsRequestSchema,
  AppendEventsResponseSchema,
  QueryEventsRequestSchema,
  QueryEventsResponseSchema,
  QueryLogsRequestSchema,
  QueryLogsResponseSchema,
} from './gen/aico/storage/v1/history_pb';
import {
  BackupProgressSchema,
  CheckDatabaseRequestSchema,
  CheckDatabaseResponseSchema,
  CreateBackupRequestSchema,
  CreateBackupResponseSchema,
  DatabaseRekeyedSchema,
  RestoreBackupRequestSchema,
  RestoreBackupResponseSchema,
} from './gen/aico/storage/v1/maintenance_pb';
import {
  DeleteRecordRequestSchema,
  DeleteRecordResponseSchema,
  GetRecordRequestSchema,
  GetRecordResponseSchema,
  ListRecordsRequestSchema,
  ListRecordsResponseSchema,
  PutRecordRequestSchema,
  PutRecordResponseSchema,
  RecordKind,
} from './gen/aico/storage/v1/records_pb';
import {
  DeleteStateRequestSchema,
  DeleteStateResponseSchema,
  GetStateRequestSchema,
  GetStateResponseSchema,
  ListStateRequestSchema,
  ListStateResponseSchema,
  PutStateRequestSchema,
  PutStateResponseSchema,
  WriteStateRequestSchema,
  WriteStateResponseSchema,
} from './gen/aico/storage/v1/state_pb';
import type { ServiceIdentity } from './identities';
import { defineEvent, defineRequest } from './topic-registry';

/** Error codes the storage service answers with (their messages never carry stored values or keys). */
export enum StorageErrorCode {
  WrongKey = 'STORAGE_WRONG_KEY',
  DatabaseNewerThanCode = 'STORAGE_DATABASE_NEWER',
  MigrationFailed = 'STORAGE_MIGRATION_FAILED',
  InvalidText = 'STORAGE_INVALID_TEXT',
  InvalidArgument = 'STORAGE_INVALID_ARGUMENT',
  ValueTooLarge = 'STORAGE_VALUE_TOO_LARGE',
  UnknownRecordKind = 'STORAGE_UNKNOWN_RECORD_KIND',
  NotPermitted = 'STORAGE_NOT_PERMITTED',
  VersionConflict = 'STORAGE_VERSION_CONFLICT',
  Conflict = 'STORAGE_CONSTRAINT',
  DiskFull = 'STORAGE_DISK_FULL',
  Io = 'STORAGE_IO',
  Database = 'STORAGE_DATABASE_ERROR',
  ShuttingDown = 'STORAGE_SHUTTING_DOWN',
  Busy = 'STORAGE_BUSY',
  BackupFailed = 'STORAGE_BACKUP_FAILED',
  RestoreFailed = 'STORAGE_RESTORE_FAILED',
}

/**
 * Error codes of the storage client (libs/storage-client), the caller's side of this contract: raised in the
 * caller's process, never answered by storage, but mapped by the same edges.
 */
export enum StorageClientErrorCode {
  /** No acknowledgement before the deadline: a write may or may not be applied; retry with its idempotency key. */
  NotAcknowledged = 'STORAGE_NOT_ACKNOWLEDGED',
}

const storage = ['storage'] as const;
const maintainers = ['cli', 'scheduler', 'supervisor', 'gateway'] as const;

export const StorageTopics = {
  stateGet: defineRequest({
    topic: 'storage.state.get',
    payload: GetStateRequestSchema,
    response: GetStateResponseSchema,
    publishers: 'any',
    responders: storage,
    contractVersion: 1,
    description: 'Reads one state entry.',
  }),
  statePut: defineRequest({
    topic: 'storage.state.put',
    payload: PutStateRequestSchema,
    response: PutStateResponseSchema,
    publishers: 'any',
    responders: storage,
    contractVersion: 1,
    description: 'Writes one state entry (optionally compare-and-set); acknowledged once committed.',
  }),
  stateDelete: defineRequest({
    topic: 'storage.state.delete',
    payload: DeleteStateRequestSchema,
    response: DeleteStateResponseSchema,
    publishers: 'any',
    responders: storage,
    contractVersion: 1,
    description: 'Removes one state entry.',
  }),
  stateList: defineRequest({
    topic: 'storage.state.list',
    payload: ListStateRequestSchema,
    response: ListStateResponseSchema,
    publishers: 'any',
    responders: storage,
    contractVersion: 1,
    description: 'Pages through a namespace in key order.',
  }),
  stateWrite: defineRequest({
    topic: 'storage.state.write',
    payload: WriteStateRequestSchema,
    response: WriteStateResponseSchema,
    publishers: 'any',
    responders: storage,
    contractVersion: 1,
    description: 'Applies a batch of puts and deletes in one transaction.',
  }),
  recordPut: defineRequest({
    topic: 'storage.records.put',
    payload: PutRecordRequestSchema,
    response: PutRecordResponseSchema,
    publishers: 'any',
    responders: storage,
    contractVersion: 1,
    description: 'Inserts or replaces a typed record (writers per kind: RECORD_WRITERS).',
  }),
  recordGet: defineRequest({
    topic: 'storage.records.get',
    payload: GetRecordRequestSchema,
    response: GetRecordResponseSchema,
    publishers: 'any',
    responders: storage,
    contractVersion: 1,
    description: 'Reads one typed record.',
  }),
  recordList: defineRequest({
    topic: 'storage.records.list',
    payload: ListRecordsRequestSchema,
    response: ListRecordsResponseSchema,
    publishers: 'any',
    responders: storage,
    contractVersion: 1,
    description: 'Pages through typed records of a kind.',
  }),
  recordDelete: defineRequest({
    topic: 'storage.records.delete',
    payload: DeleteRecordRequestSchema,
    response: DeleteRecordResponseSchema,
    publishers: 'any',
    responders: storage,
    contractVersion: 1,
    description: 'Removes one typed record.',
  }),
  logsQuery: defineRequest({
    topic: 'storage.logs.query',
    payload: QueryLogsRequestSchema,
    response: QueryLogsResponseSchema,
    publishers: 'any',
    responders: storage,
    contractVersion: 1,
    description: 'Searches persisted log entries, newest first.',
  }),
  eventsAppend: defineRequest({
    topic: 'storage.events.append',
    payload: AppendEventsRequestSchema,
    response: AppendEventsResponseSchema,
    publishers: 'any',
    responders: storage,
    contractVersion: 1,
    description: 'Appends events durably; acknowledged once committed.',
  }),
  eventsQuery: defineRequest({
    topic: 'storage.events.query',
    payload: QueryEventsRequestSchema,
    response: QueryEventsResponseSchema,
    publishers: 'any',
    responders: storage,
    contractVersion: 1,
    description: 'Reads persisted events in sequence order.',
  }),
  databaseCheck: defineRequest({
    topic: 'storage.database.check',
    payload: CheckDatabaseRequestSchema,
    response: CheckDatabaseResponseSchema,
    publishers: 'any',
    responders: storage,
    contractVersion: 1,
    description: 'Integrity check, schema migration, key version and size of the database.',
  }),
  backupCreate: defineRequest({
    topic: 'storage.backup.create',
    payload: CreateBackupRequestSchema,
    response: CreateBackupResponseSchema,
    publishers: maintainers,
    responders: storage,
    contractVersion: 1,
    description: 'Writes an encrypted backup archive.',
  }),
  backupRestore: defineRequest({
    topic: 'storage.backup.restore',
    payload: RestoreBackupRequestSchema,
    response: RestoreBackupResponseSchema,
    publishers: ['cli', 'supervisor'],
    responders: storage,
    contractVersion: 1,
    description: 'Verifies an archive, then restores it atomically.',
  }),
  backupProgress: defineEvent({
    topic: 'storage.backup.progress',
    payload: BackupProgressSchema,
    publishers: storage,
    contractVersion: 1,
    description: 'Progress of a running backup or restore.',
  }),
  databaseRekeyed: defineEvent({
    topic: 'storage.database.rekeyed',
    payload: DatabaseRekeyedSchema,
    publishers: storage,
    contractVersion: 1,
    description: 'The database now runs under a new key version.',
  }),
} as const;

/** Who may write each record kind; everyone may read (the bus admits only aico's own services). */
export const RECORD_WRITERS: Readonly<Record<Exclude<RecordKind, RecordKind.UNSPECIFIED>, readonly ServiceIdentity[]>> = {
  [RecordKind.USER]: ['gateway', 'cli'],
  [RecordKind.SESSION]: ['gateway'],
  [RecordKind.CONSENT]: ['gateway', 'cli'],
  [RecordKind.TASK]: ['scheduler', 'cli'],
  [RecordKind.TASK_RUN]: ['scheduler'],
  [RecordKind.JOB]: ['monitor', 'scheduler'],
  [RecordKind.SETTING]: ['gateway', 'cli', 'supervisor'],
  [RecordKind.MODEL]: ['models'],
  [RecordKind.THREAD]: ['conversation'],
  [RecordKind.THREAD_MESSAGE]: ['conversation'],
  [RecordKind.MEMORY_FACT]: ['conversation'],
  [RecordKind.PERSONA]: ['conversation'],
};
