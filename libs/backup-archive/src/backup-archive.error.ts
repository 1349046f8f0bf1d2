// The errors a backup archive can fail with, as codes the edge (bus reply, CLI exit) maps exhaustively. The
// encrypted-file layer's codes are translated here, in one switch, into what they mean for a backup.
import { PublicError } from '@aico/contracts';
import { EncryptedFileError, EncryptedFileErrorCode } from '@aico/encrypted-file';

export enum BackupArchiveErrorCode {
  /** Not an aico backup archive: not an aico encrypted file, or an encrypted file without the archive magic. */
  Foreign = 'BACKUP_FOREIGN',
  /** Encrypted under another backup key: another installation's archive, or a key version no longer held. */
  WrongKey = 'BACKUP_WRONG_KEY',
  /** Header or chunk authentication failed, chunks were dropped or reordered, or bytes follow the last chunk. */
  Tampered = 'BACKUP_TAMPERED',
  /** The archive ends before its final chunk. */
  Truncated = 'BACKUP_TRUNCATED',
  /** Written in a format (encrypted-file, archive or manifest version) this build does not read. */
  UnsupportedVersion = 'BACKUP_UNSUPPORTED_VERSION',
  /** The manifest is not the expected JSON, or the archive's content does not match it (data after the last entry). */
  ManifestInvalid = 'BACKUP_MANIFEST_INVALID',
  /** An entry's bytes do not have the size or SHA-256 its manifest records. */
  ChecksumMismatch = 'BACKUP_CHECKSUM_MISMATCH',
  /** An entry name is absolute, escapes its directory, is not portable, or collides with another entry. */
  UnsafeEntryName = 'BACKUP_UNSAFE_ENTRY_NAME',
  /** A source file changed while the archive was written; nothing was written. */
  SourceChanged = 'BACKUP_SOURCE_CHANGED',
  /** The restore target directory exists and is not empty (or is not a directory). */
  TargetNotEmpty = 'BACKUP_TARGET_NOT_EMPTY',
  /** The archive, or a source file, cannot be opened (missing, not a regular file, no permission). */
  Unreadable = 'BACKUP_UNREADABLE',
}

/** A backup archive failure. Messages name the archive and say what to do next; they never hold key material. */
export class BackupArchiveError extends PublicError<BackupArchiveErrorCode> {
  override readonly name = 'BackupArchiveError';
}

/**
 * What an encrypted-file failure means for the archive at `archive`. Any other error is returned as it is: an fs
 * error is not the archive's fault and says so itself.
 */
export function toBackupArchiveError(error: unknown, archive: string): unknown {
  if (!(error instanceof EncryptedFileError)) return error;
  const details = { archive, cause: error.code, reason: error.message };
  const damaged = (what: string) =>
    new BackupArchiveError(
      BackupArchiveErrorCode.Tampered,
      `The backup archive ${archive} is damaged or was altered (${what}); nothing in it can be trusted. Use another copy of this backup.`,
      details,
    );
  switch (error.code) {
    case EncryptedFileErrorCode.NotEncryptedFile:
      return new BackupArchiveError(BackupArchiveErrorCode.Foreign, `${archive} is not an aico backup archive. Choose a file made by "aico backup".`, details);
    case EncryptedFileErrorCode.WrongKey:
      return new BackupArchiveError(
        BackupArchiveErrorCode.WrongKey,
        `The backup archive ${archive} was encrypted under another backup key: it comes from another aico installation ` +
          '(or from a backup key this installation no longer holds), or it is an aico encrypted file that is not a backup. ' +
          'Restore it on the installation that made it.',
        details,
      );
    case EncryptedFileErrorCode.UnsupportedVersion:
      return new BackupArchiveError(
        BackupArchiveErrorCode.UnsupportedVersion,
        `The backup archive ${archive} uses an encryption format this version of aico does not read. Update aico, then try again.`,
        details,
      );
    case EncryptedFileErrorCode.Truncated:
      return new BackupArchiveError(
        BackupArchiveErrorCode.Truncated,
        `The backup archive ${archive} is incomplete: it ends early, as after an interrupted copy or download. Copy the backup again, or use another copy.`,
        details,
      );
    case EncryptedFileErrorCode.HeaderTampered:
      return damaged('its header does not authenticate');
    case EncryptedFileErrorCode.ChunkCorrupted:
      return damaged('a part of it does not authenticate');
    case EncryptedFileErrorCode.ChunkOutOfOrder:
      return damaged('parts of it were dropped, reordered or duplicated');
    case EncryptedFileErrorCode.TrailingData:
      return damaged('bytes were added after its end');
  }
}
