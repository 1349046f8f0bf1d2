import { PublicError, StorageErrorCode } from '@aico/contracts';

// The codes are the storage contract's (libs/contracts), exported here too so the app's files keep one import.
export { StorageErrorCode } from '@aico/contracts';

/** A storage failure a caller can act on; the message never contains stored values or keys. */
export class StorageError extends PublicError<StorageErrorCode> {
  override readonly name = 'StorageError';
}

/**
 * libSQL reports errors as LibsqlError with an SQLite code (drizzle wraps them, with the query's parameters, which
 * may be user data, in its message). Map them to errors that name the SQLite code and never carry values.
 */
export function translateDatabaseError(error: unknown, path: string): unknown {
  if (error instanceof PublicError) return error;
  const sqliteCode = (value: unknown) => String((value as { code?: unknown } | undefined)?.code ?? '');
  const wrapped = (error as { cause?: unknown }).cause;
  const cause = sqliteCode(error).startsWith('SQLITE_') || !sqliteCode(wrapped).startsWith('SQLITE_') ? error : wrapped;
  const text = sqliteCode(cause);
  if (text.startsWith('SQLITE_FULL')) {
    return new StorageError(
      StorageErrorCode.DiskFull,
      `The disk holding ${path} is full (or its file-size limit is reached); nothing of this write was applied. Free some space and retry.`,
    );
  }
  if (text.startsWith('SQLITE_IOERR')) {
    // A file-size limit (EFBIG) arrives as SQLITE_IOERR_WRITE, not SQLITE_FULL; SQLite does not pass errno on.
    return new StorageError(
      StorageErrorCode.Io,
      `The database ${path} could not be written (${text}): the disk may be full, a file-size limit reached, or the disk failing. Nothing of this write was applied; free space or check the disk, then retry.`,
    );
  }
  if (text.startsWith('SQLITE_CONSTRAINT')) {
    // SQLite's own text names the constraint ("UNIQUE constraint failed: users.username"), never a value.
    const detail = /(?:[A-Z]+ )*constraint failed(?:: [\w., ]+)?/.exec((cause as Error).message)?.[0] ?? 'constraint failed';
    return new StorageError(StorageErrorCode.Conflict, `The write breaks a rule of the database (${text}: ${detail}); nothing of it was applied.`);
  }
  if (text.startsWith('SQLITE_BUSY')) {
    return new StorageError(StorageErrorCode.Busy, `The database ${path} is busy; retry.`);
  }
  if (text.startsWith('SQLITE_')) return new StorageError(StorageErrorCode.Database, `The database ${path} refused the operation (${text}).`);
  return error;
}
