// Checks on what callers hand over before it reaches libSQL. Text must be well-formed Unicode (a lone surrogate
// would be written as invalid UTF-8, and reading invalid UTF-8 TEXT aborts libSQL: tursodatabase/libsql#1223), and
// everything has a size limit, so a bad request gets a clear error and the database never holds what it cannot read.
import { StorageError, StorageErrorCode } from './storage.error';

export interface Limits {
  readonly maxValueBytes: number;
  readonly maxTextBytes: number;
}

/** A name-like field: required, well-formed, at most 512 bytes, no control characters. */
export function checkName(field: string, value: string, limits: Pick<Limits, 'maxTextBytes'> = { maxTextBytes: 512 }): string {
  if (value.length === 0) throw new StorageError(StorageErrorCode.InvalidArgument, `"${field}" is required.`);
  checkText(field, value, { maxTextBytes: Math.min(512, limits.maxTextBytes) });
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new StorageError(StorageErrorCode.InvalidText, `"${field}" contains a control character.`);
  return value;
}

/** Free text: well-formed Unicode within the size limit (may be empty). */
export function checkText(field: string, value: string, limits: Pick<Limits, 'maxTextBytes'>): string {
  if (!value.isWellFormed()) {
    throw new StorageError(StorageErrorCode.InvalidText, `"${field}" is not valid Unicode text (it contains a lone surrogate); send binary data as bytes.`);
  }
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > limits.maxTextBytes) {
    throw new StorageError(StorageErrorCode.ValueTooLarge, `"${field}" is ${bytes} bytes; at most ${limits.maxTextBytes} are accepted.`, {
      field,
      bytes: String(bytes),
      limit: String(limits.maxTextBytes),
    });
  }
  return value;
}

export function checkBytes(field: string, value: Uint8Array, limits: Pick<Limits, 'maxValueBytes'>): Buffer {
  if (value.length > limits.maxValueBytes) {
    throw new StorageError(StorageErrorCode.ValueTooLarge, `"${field}" is ${value.length} bytes; at most ${limits.maxValueBytes} are accepted.`, {
      field,
      bytes: String(value.length),
      limit: String(limits.maxValueBytes),
    });
  }
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export function checkLimit(limit: number, fallback = 100, max = 1000): number {
  return limit === 0 ? fallback : Math.min(limit, max);
}
