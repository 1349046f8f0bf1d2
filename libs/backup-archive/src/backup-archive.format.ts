// The aico backup archive format, version 1: the plaintext inside the archive's one EncryptedFile, and the checks a
// manifest read back must pass before anything is restored from it.
//
//   plaintext = magic "AICOBAK\x01" (8) | manifest length, u32 big-endian (4) | manifest (UTF-8 JSON)
//               | the entries' bytes, concatenated in manifest order, and nothing after the last entry
//
// The manifest leads so that a reader knows every entry's size and SHA-256 before its bytes arrive, and so that
// `inspect` needs to decrypt only the first chunks.
import { BackupArchiveError, BackupArchiveErrorCode } from './backup-archive.error';

/** The last byte is the container version: a reader tells "not ours" from "ours, but newer". */
export const ARCHIVE_MAGIC = Buffer.from('AICOBAK\x01', 'latin1');
export const PREFIX_BYTES = ARCHIVE_MAGIC.length + 4;
export const MANIFEST_FORMAT = 'aico-backup';
export const MANIFEST_FORMAT_VERSION = 1;
/** Far above any real manifest (a million entries fit), and below what one JSON string in V8 can hold. */
export const MAX_MANIFEST_BYTES = 256 * 1024 * 1024;
const MAX_ENTRY_NAME_BYTES = 4096;

export interface BackupEntry {
  /** A relative POSIX path, such as `aico.db` or `files/a/b.bin`. */
  readonly name: string;
  readonly size: number;
  /** Lower-case hex SHA-256 of the entry's bytes. */
  readonly sha256: string;
}

export interface BackupManifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly formatVersion: typeof MANIFEST_FORMAT_VERSION;
  /** ISO 8601, when the archive was written. */
  readonly createdAt: string;
  /** The caller's metadata (database key version, schema migration, ...), kept as given. */
  readonly app: Readonly<Record<string, string>>;
  readonly entries: readonly BackupEntry[];
}

/** Why `name` cannot be an entry name, or undefined when it can. */
export function unsafeEntryNameReason(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'it is empty or not a string';
  if (Buffer.byteLength(name, 'utf8') > MAX_ENTRY_NAME_BYTES) return `it is longer than ${MAX_ENTRY_NAME_BYTES} bytes`;
  if (name.startsWith('/')) return 'it is absolute';
  if (/^[A-Za-z]:/.test(name)) return 'it starts with a drive letter';
  if (name.includes('\\')) return 'it contains a backslash';
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'it contains a control character';
  for (const segment of name.split('/')) {
    if (segment === '..') return 'it contains a ".." segment';
    if (segment === '.' || segment === '') return 'it contains an empty or "." segment';
  }
  return undefined;
}

/**
 * Checks every name and that the set can be restored: no duplicates, and no name that another one needs as a
 * directory (`a` and `a/b`).
 */
export function assertSafeEntryNames(names: readonly unknown[], archive: string, describe: (problem: string) => string): void {
  const refuse = (name: unknown, reason: string) =>
    new BackupArchiveError(BackupArchiveErrorCode.UnsafeEntryName, describe(`entry name ${JSON.stringify(name)} is unsafe: ${reason}`), { archive });
  const seen = new Set<string>();
  const directories = new Set<string>();
  for (const name of names) {
    const reason = unsafeEntryNameReason(name);
    if (reason !== undefined) throw refuse(name, reason);
    const safe = name as string;
    if (seen.has(safe)) throw refuse(safe, 'it appears twice');
    seen.add(safe);
    for (let slash = safe.indexOf('/'); slash !== -1; slash = safe.indexOf('/', slash + 1)) directories.add(safe.slice(0, slash));
  }
  for (const name of seen) {
    if (directories.has(name)) throw refuse(name, 'another entry needs it as a directory');
  }
}

/** Magic, manifest length and manifest: everything before the first entry's bytes. */
export function encodeArchivePrefix(manifest: BackupManifest): Buffer {
  const json = Buffer.from(JSON.stringify(manifest), 'utf8');
  if (json.length > MAX_MANIFEST_BYTES) throw new RangeError(`The backup manifest is ${json.length} bytes; at most ${MAX_MANIFEST_BYTES} are allowed.`);
  const prefix = Buffer.alloc(PREFIX_BYTES);
  ARCHIVE_MAGIC.copy(prefix, 0);
  prefix.writeUInt32BE(json.length, ARCHIVE_MAGIC.length);
  return Buffer.concat([prefix, json]);
}

/** The manifest length that follows a valid magic; throws if the first bytes are not an archive this build reads. */
export function parseArchivePrefix(prefix: Buffer, archive: string): number {
  const magicBody = ARCHIVE_MAGIC.subarray(0, ARCHIVE_MAGIC.length - 1);
  if (prefix.length < ARCHIVE_MAGIC.length || !prefix.subarray(0, magicBody.length).equals(magicBody)) {
    throw new BackupArchiveError(
      BackupArchiveErrorCode.Foreign,
      `${archive} decrypts, but is not an aico backup archive (its content does not start with the archive magic). Choose a file made by "aico backup".`,
      { archive },
    );
  }
  const version = prefix[magicBody.length]!;
  if (version !== ARCHIVE_MAGIC[magicBody.length]) {
    throw new BackupArchiveError(
      BackupArchiveErrorCode.UnsupportedVersion,
      `The backup archive ${archive} uses archive version ${version}; this version of aico reads version ${ARCHIVE_MAGIC[magicBody.length]}. Update aico, then try again.`,
      { archive, version: String(version) },
    );
  }
  if (prefix.length < PREFIX_BYTES) throw invalidManifest(archive, 'it ends before the manifest length');
  const length = prefix.readUInt32BE(ARCHIVE_MAGIC.length);
  if (length > MAX_MANIFEST_BYTES) throw invalidManifest(archive, `its manifest claims ${length} bytes, more than the ${MAX_MANIFEST_BYTES} allowed`);
  return length;
}

export function invalidManifest(archive: string, problem: string): BackupArchiveError {
  return new BackupArchiveError(
    BackupArchiveErrorCode.ManifestInvalid,
    `The backup archive ${archive} authenticates, but its manifest is invalid: ${problem}. The archive was not written by a working aico; use another backup.`,
    { archive },
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The manifest in `json`, checked for version, shape and safe entry names; unknown fields are dropped. */
export function parseManifest(json: Buffer, archive: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch {
    throw invalidManifest(archive, 'it is not UTF-8 JSON');
  }
  if (!isRecord(value)) throw invalidManifest(archive, 'it is not a JSON object');
  if (value['format'] !== MANIFEST_FORMAT) throw invalidManifest(archive, `its format is not "${MANIFEST_FORMAT}"`);
  const version = value['formatVersion'];
  if (typeof version === 'number' && version !== MANIFEST_FORMAT_VERSION) {
    throw new BackupArchiveError(
      BackupArchiveErrorCode.UnsupportedVersion,
      `The backup archive ${archive} has manifest version ${version}; this version of aico reads version ${MANIFEST_FORMAT_VERSION}. Update aico, then try again.`,
      { archive, version: String(version) },
    );
  }
  if (version !== MANIFEST_FORMAT_VERSION) throw invalidManifest(archive, 'its formatVersion is not a number');
  const { createdAt, app, entries } = value;
  if (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt))) throw invalidManifest(archive, 'its createdAt is not a date');
  if (!isRecord(app) || !Object.values(app).every((v) => typeof v === 'string')) {
    throw invalidManifest(archive, 'its app metadata is not an object of strings');
  }
  if (!Array.isArray(entries)) throw invalidManifest(archive, 'its entries are not a list');
  const parsed = entries.map((entry: unknown, index): BackupEntry => {
    if (!isRecord(entry)) throw invalidManifest(archive, `entry ${index} is not an object`);
    const { name, size, sha256 } = entry;
    if (typeof name !== 'string') throw invalidManifest(archive, `entry ${index} has no name`);
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw invalidManifest(archive, `entry ${index} has no valid size`);
    if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) throw invalidManifest(archive, `entry ${index} has no valid sha256`);
    return Object.freeze({ name, size, sha256 });
  });
  assertSafeEntryNames(
    parsed.map((entry) => entry.name),
    archive,
    (problem) => `The backup archive ${archive} cannot be restored safely: ${problem}. Nothing was restored; use another backup.`,
  );
  return Object.freeze({
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_FORMAT_VERSION,
    createdAt,
    app: Object.freeze(Object.fromEntries(Object.entries(app)) as Record<string, string>),
    entries: Object.freeze(parsed),
  });
}
