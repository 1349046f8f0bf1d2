import { BusErrorCode } from '@aico/bus';
import {
  ConversationErrorCode,
  KeysErrorCode,
  ModelsErrorCode,
  PublicError,
  SchedulerErrorCode,
  StorageClientErrorCode,
  StorageErrorCode,
} from '@aico/contracts';
import { toApiError } from './api-exception.filter';
import { ERROR_STATUS_TABLES, INTERNAL } from './domain-error-status';

class StandInError extends PublicError<string> {}

describe('toApiError', () => {
  it('answers a full disk with 507 STORAGE_DISK_FULL, saying what to free and not where, not a bare 500', () => {
    const error = toApiError(new StandInError(StorageErrorCode.DiskFull, 'The disk holding /data/aico.db is full.'));
    expect(error.status).toBe(507);
    expect(error.code).toBe('STORAGE_DISK_FULL');
    expect(error.message).toMatch(/free some space/);
    expect(error.message).not.toMatch(/\/data/);
    const io = toApiError(new StandInError(StorageErrorCode.Io, 'The database /data/aico.db could not be written (SQLITE_IOERR_WRITE).'));
    expect([io.status, io.code, io.message]).toEqual([507, 'STORAGE_IO', expect.not.stringMatching(/\/data/)]);
  });

  it('answers 503 SERVICE_UNAVAILABLE with a Retry-After and the cause for every way of not answering', () => {
    const codes = [
      StorageErrorCode.Busy,
      StorageErrorCode.ShuttingDown,
      StorageClientErrorCode.NotAcknowledged,
      BusErrorCode.DeadlineExceeded,
      BusErrorCode.NoHandler,
      BusErrorCode.Closed,
      BusErrorCode.QueueFull,
      BusErrorCode.ResponderGone,
      BusErrorCode.StreamStalled,
    ];
    for (const code of codes) {
      const error = toApiError(new StandInError(code, 'no answer'));
      expect([code, error.status, error.code, error.details]).toEqual([code, 503, 'SERVICE_UNAVAILABLE', { cause: code, retryAfterSeconds: 5 }]);
    }
  });

  it('gives the codes of storage, the keys, the scheduler and the bus the statuses a client acts on', () => {
    const statusOf = (code: string) => {
      const error = toApiError(new StandInError(code, `what happened: ${code}`));
      return [error.status, error.code];
    };
    expect(statusOf(StorageErrorCode.InvalidArgument)).toEqual([400, 'STORAGE_INVALID_ARGUMENT']);
    expect(statusOf(StorageErrorCode.VersionConflict)).toEqual([409, 'STORAGE_VERSION_CONFLICT']);
    expect(statusOf(StorageErrorCode.NotPermitted)).toEqual([403, 'FORBIDDEN']);
    expect(statusOf(KeysErrorCode.WeakPassword)).toEqual([400, 'KEYS_WEAK_PASSWORD']);
    expect(statusOf(KeysErrorCode.TooManyAttempts)).toEqual([429, 'KEYS_TOO_MANY_ATTEMPTS']);
    expect(statusOf(SchedulerErrorCode.UnknownTask)).toEqual([404, 'NOT_FOUND']);
    expect(statusOf(SchedulerErrorCode.BuiltIn)).toEqual([409, 'SCHEDULER_BUILT_IN']);
    expect(statusOf(SchedulerErrorCode.NotReady)).toEqual([503, 'SERVICE_UNAVAILABLE']);
    expect(statusOf(BusErrorCode.NotPermitted)).toEqual([403, 'FORBIDDEN']);
    expect(statusOf(BusErrorCode.InvalidRequest)).toEqual([400, 'INVALID_REQUEST']);
    expect(statusOf(BusErrorCode.PayloadTooLarge)).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('answers a failure no client can act on as 500 INTERNAL without its message, by decision', () => {
    for (const code of [
      StorageErrorCode.Database,
      StorageErrorCode.WrongKey,
      BusErrorCode.HandlerFailed,
      KeysErrorCode.VaultTampered,
      'SOME_UNDECLARED_CODE',
    ]) {
      const error = toApiError(new StandInError(code, 'The database /secret/aico.db refused (SQLITE_CORRUPT).'));
      expect([code, error.status, error.code, error.message]).toEqual([code, 500, 'INTERNAL', INTERNAL.message]);
    }
  });

  it('declares every code once: no two domains share a code, so the lookup by the wire code is unambiguous', () => {
    const codes = ERROR_STATUS_TABLES.flatMap((table) => Object.keys(table));
    expect(codes.length).toBeGreaterThan(90);
    expect(codes.filter((code, index) => codes.indexOf(code) !== index)).toEqual([]);
  });

  it('still hides an unknown failure behind 500 INTERNAL', () => {
    const error = toApiError(new Error('SQLITE_CORRUPT at /secret/path'));
    expect(error.status).toBe(500);
    expect(error.code).toBe('INTERNAL');
    expect(error.message).not.toMatch(/secret/);
  });

  it('gives every conversation and models error code a status of its own, never 500, and keeps the code and message', () => {
    const statuses = [...Object.values(ConversationErrorCode), ...Object.values(ModelsErrorCode)].map((code) => {
      const error = toApiError(new StandInError(code, `what happened: ${code}`));
      expect([code, error.code, error.message]).toEqual([code, code, `what happened: ${code}`]);
      return [code, error.status] as const;
    });
    expect(statuses.filter(([, status]) => status === 500)).toEqual([]);
    expect(Object.fromEntries(statuses)).toMatchObject({
      CONVERSATION_EMPTY_MESSAGE: 400,
      CONVERSATION_MESSAGE_TOO_LONG: 400,
      CONVERSATION_THREAD_NOT_FOUND: 404,
      CONVERSATION_FACT_NOT_FOUND: 404,
      CONVERSATION_REPLY_IN_PROGRESS: 409,
      CONVERSATION_REPLY_NOT_RUNNING: 409,
      CONVERSATION_NO_MODEL: 409,
      CONVERSATION_MODELS_UNAVAILABLE: 503,
      MODELS_UNKNOWN_MODEL: 404,
      MODELS_ALREADY_EXISTS: 409,
      MODELS_NOT_GGUF: 400,
      MODELS_DISK_FULL: 507,
      MODELS_DOWNLOAD_FAILED: 502,
    });
  });

  it('asks to retry after a while when the conversation service is busy', () => {
    expect(toApiError(new StandInError(ConversationErrorCode.Busy, 'Too many replies wait.')).details).toEqual({ retryAfterSeconds: 5 });
  });
});
