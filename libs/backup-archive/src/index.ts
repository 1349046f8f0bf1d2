// The public face of the backup archive: write, inspect, verify and restore one encrypted, verifiable archive file.
export { writeBackupArchive, type BackupSource, type WriteBackupOptions } from './backup-archive.writer';
export {
  readBackupArchive,
  readBackupManifest,
  verifyBackupArchive,
  type BackupKeys,
  type ReadBackupOptions,
  type VerifyBackupOptions,
} from './backup-archive.reader';
export { BackupArchiveError, BackupArchiveErrorCode } from './backup-archive.error';
export { MANIFEST_FORMAT, MANIFEST_FORMAT_VERSION, type BackupEntry, type BackupManifest } from './backup-archive.format';
export { type BackupProgress } from './backup-archive.progress';
