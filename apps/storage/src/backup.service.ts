// Backup and restore of the data: the database (a VACUUM INTO snapshot) and every file under <dataDir>/files, as
// one encrypted, checksummed archive. A restore verifies everything in a staging directory before it touches the
// data: archive authentication and checksums, the manifest, and the staged database's integrity. One at a time.
import type { Dirent } from 'node:fs';
import { mkdtemp, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { createClient } from '@libsql/client';
import { BackupArchiveError, readBackupArchive, writeBackupArchive, type BackupKeys, type BackupManifest, type BackupSource } from '@aico/backup-archive';
import { BusClient } from '@aico/bus';
import { PublicError, type CreateBackupResponseSchema, type RestoreBackupResponseSchema } from '@aico/contracts';
import { KeyVersionStore } from '@aico/key-manager';
import { KeyRing } from '@aico/keys';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { checkManifest, DATABASE_ENTRY, FILES_DIR, listDataFiles } from './backup-layout';
import { ProgressReporter, type Operation } from './backup-progress';
import { Database } from './database/database';
import type { StorageConfig } from './storage.config';
import { StorageError, StorageErrorCode, translateDatabaseError } from './storage.error';

/** Staging directories live in the data directory (same file system, so the final moves are renames). */
const STAGING_PREFIX = '.backup-staging-';

@Injectable()
export class BackupService implements OnApplicationBootstrap {
  private readonly logger: Logger;
  private readonly dataDir: string;
  private readonly keyVersions: KeyVersionStore;
  private running: Operation | undefined;

  constructor(
    @Inject(SERVICE_CONFIG) config: StorageConfig,
    @Inject(SERVICE_LOGGER) logger: Logger,
    private readonly bus: BusClient,
    private readonly database: Database,
    private readonly keys: KeyRing,
  ) {
    this.logger = logger.child({ context: 'BackupService' });
    this.dataDir = resolve(config.dataDir);
    this.keyVersions = new KeyVersionStore(this.dataDir);
  }

  /** Staging directories a crash left behind hold decrypted data: remove them at start. */
  async onApplicationBootstrap(): Promise<void> {
    const entries = await readdir(this.dataDir, { withFileTypes: true }).catch(() => [] as Dirent[]);
    for (const entry of entries) {
      if (entry.isDirectory() && entry.name.startsWith(STAGING_PREFIX)) {
        this.logger.warn({ staging: entry.name }, 'Removing a backup staging directory left by an interrupted backup or restore');
        await this.removeStaging(join(this.dataDir, entry.name));
      }
    }
  }

  /** Writes the archive at `path` (absolute; replaced atomically once complete). */
  async create(path: string, correlationId: string): Promise<MessageInitShape<typeof CreateBackupResponseSchema>> {
    const archive = this.absolute(path, 'backup');
    const release = this.claim('create');
    const progress = new ProgressReporter(this.bus, 'create', correlationId, this.logger);
    const started = performance.now();
    let staging: string | undefined;
    try {
      await this.checkArchiveTarget(archive);
      const versions = await this.keyVersions.read();
      staging = await mkdtemp(join(this.dataDir, STAGING_PREFIX)); // mode 0700
      progress.report('snapshot', 0, 0);
      const snapshot = join(staging, DATABASE_ENTRY);
      const databaseKeyVersion = await this.database.snapshot(snapshot).catch((error: unknown) => {
        throw translateDatabaseError(error, this.database.path);
      });
      const entries: BackupSource[] = [{ name: DATABASE_ENTRY, path: snapshot }, ...(await this.dataFiles())];
      const key = this.keys.purposeKey('backup', versions.backup.version);
      let manifest: BackupManifest;
      try {
        manifest = await writeBackupArchive(archive, {
          key,
          entries,
          metadata: {
            databaseKeyVersion: String(databaseKeyVersion),
            schemaMigration: this.database.migration,
            backupKeyVersion: String(versions.backup.version),
            aicoBackupOf: this.dataDir,
          },
          onProgress: (step) => progress.report(step.phase, step.doneBytes, step.totalBytes),
        });
      } finally {
        key.fill(0);
      }
      const totalBytes = manifest.entries.reduce((sum, entry) => sum + entry.size, 0);
      progress.report('done', totalBytes, totalBytes);
      const sizeBytes = (await stat(archive)).size;
      this.logger.info({ archive, entries: manifest.entries.length, sizeBytes, ms: Math.round(performance.now() - started) }, 'Backup written');
      return { path: archive, sizeBytes: BigInt(sizeBytes), entries: manifest.entries.length, createdAt: timestampFromDate(new Date(manifest.createdAt)) };
    } catch (error) {
      throw this.failure(error, StorageErrorCode.BackupFailed, `The backup ${archive} was not written`);
    } finally {
      if (staging) await this.removeStaging(staging);
      release();
    }
  }

  /** Verifies the archive at `path` completely, then replaces the database and the files with its content. */
  async restore(path: string, correlationId: string): Promise<MessageInitShape<typeof RestoreBackupResponseSchema>> {
    const archive = this.absolute(path, 'restore');
    const release = this.claim('restore');
    const progress = new ProgressReporter(this.bus, 'restore', correlationId, this.logger);
    const started = performance.now();
    let staging: string | undefined;
    let databaseReplaced = false;
    try {
      const versions = await this.keyVersions.read();
      staging = await mkdtemp(join(this.dataDir, STAGING_PREFIX));
      const target = join(staging, 'restored');
      progress.report('verifying', 0, 0);
      const keys = this.backupKeys(versions.backup.version);
      let manifest: BackupManifest;
      try {
        manifest = await readBackupArchive(archive, {
          keys,
          targetDir: target,
          onProgress: (step) => progress.report('verifying', step.doneBytes, step.totalBytes),
        });
      } finally {
        for (const key of [keys.current, ...(keys.previous ?? [])]) key.fill(0);
      }
      const stagedKeyVersion = checkManifest(manifest, archive);
      const stagedDatabase = join(target, DATABASE_ENTRY);
      const sessionsRevoked = await this.prepareStagedDatabase(stagedDatabase, stagedKeyVersion, archive);
      const liveFiles = join(this.dataDir, FILES_DIR);
      if (!(await isDirectoryOrAbsent(liveFiles))) {
        throw new StorageError(
          StorageErrorCode.RestoreFailed,
          `${liveFiles} is not a directory, so the backup's files cannot take its place; nothing was changed. Move it away and restore again.`,
        );
      }
      const totalBytes = manifest.entries.reduce((sum, entry) => sum + entry.size, 0);

      progress.report('restoring', totalBytes, totalBytes);
      // Restores itself on failure (the database stays as it was), so until it returns nothing has changed.
      await this.database.replaceWith(stagedDatabase, stagedKeyVersion, versions.database.version);
      databaseReplaced = true;
      progress.report('swapping', totalBytes, totalBytes);
      await swapDirectory(join(target, FILES_DIR), liveFiles, join(staging, 'files.previous'));
      progress.report('done', totalBytes, totalBytes);
      this.logger.info(
        {
          archive,
          entries: manifest.entries.length,
          backupCreatedAt: manifest.createdAt,
          databaseKeyVersion: this.database.databaseKeyVersion,
          sessionsRevoked,
          ms: Math.round(performance.now() - started),
        },
        'Backup restored',
      );
      return {
        backupCreatedAt: timestampFromDate(new Date(manifest.createdAt)),
        entries: manifest.entries.length,
        schemaMigration: this.database.migration,
        sessionsRevoked,
      };
    } catch (error) {
      const outcome = databaseReplaced
        ? `The database was restored from ${archive}, but its files were not swapped in: ${FILES_DIR}/ still holds the files from before the restore`
        : `Nothing was restored from ${archive} and nothing was changed`;
      throw this.failure(error, StorageErrorCode.RestoreFailed, outcome);
    } finally {
      if (staging) await this.removeStaging(staging);
      release();
    }
  }

  private absolute(path: string, operation: 'backup' | 'restore'): string {
    if (!isAbsolute(path)) {
      throw new StorageError(
        StorageErrorCode.InvalidArgument,
        `The ${operation} path must be absolute, got ${JSON.stringify(path)}: storage runs in its own process and working directory. Pass the full path.`,
        { path },
      );
    }
    return resolve(path);
  }

  /** Only one backup or restore at a time: a restore under a running backup would snapshot a half-swapped state. */
  private claim(operation: Operation): () => void {
    if (this.running) {
      const what = this.running === 'create' ? 'A backup' : 'A restore';
      throw new StorageError(
        StorageErrorCode.Busy,
        `${what} is already running; storage runs one backup or restore at a time. Wait for it to finish, then try again.`,
        {
          running: this.running,
        },
      );
    }
    this.running = operation;
    return () => (this.running = undefined);
  }

  private async checkArchiveTarget(archive: string): Promise<void> {
    const directory = dirname(archive);
    const isDirectory = await stat(directory).then(
      (stats) => stats.isDirectory(),
      () => false,
    );
    if (!isDirectory) {
      throw new StorageError(
        StorageErrorCode.InvalidArgument,
        `Cannot write the backup to ${archive}: the directory ${directory} does not exist. Create it, or choose another place.`,
        {
          path: archive,
        },
      );
    }
    // Inside the data directory an archive could land on the live database (a rename over it) or in files/.
    const [realDirectory, realDataDir] = await Promise.all([realpath(directory), realpath(this.dataDir)]);
    if (realDirectory === realDataDir || realDirectory.startsWith(realDataDir + sep)) {
      throw new StorageError(
        StorageErrorCode.InvalidArgument,
        `Cannot write the backup to ${archive}: it is inside the data directory ${this.dataDir}, which the backup is meant to survive (and which a restore replaces). Choose a place outside it.`,
        { path: archive },
      );
    }
    if (
      await stat(archive).then(
        (stats) => !stats.isFile(),
        () => false,
      )
    ) {
      throw new StorageError(
        StorageErrorCode.InvalidArgument,
        `Cannot write the backup to ${archive}: something that is not a file is there. Choose a file name.`,
        { path: archive },
      );
    }
  }

  /** The data files to back up; what cannot be (not a regular file) is named in the log. */
  private async dataFiles(): Promise<BackupSource[]> {
    const { sources, skipped } = await listDataFiles(this.dataDir);
    if (skipped.length > 0)
      this.logger.warn(
        { skipped: skipped.length, first: skipped.slice(0, 5) },
        'Not backed up: entries under files/ that are not regular files (links, sockets)',
      );
    return sources;
  }

  /** The current backup key and every earlier version, for archives written before a rotation. */
  private backupKeys(current: number): BackupKeys & { current: Buffer; previous: Buffer[] } {
    const previous: Buffer[] = [];
    for (let version = current - 1; version >= 1; version--) previous.push(this.keys.purposeKey('backup', version));
    return { current: this.keys.purposeKey('backup', current), previous };
  }

  /**
   * Opens the staged database alone (a connection of its own, closed again), runs `PRAGMA integrity_check`, and
   * revokes every session still open in it: the backup knows nothing of the logouts and "log out everywhere" since
   * it was made, so none of its sessions may come back to life. Done in the staged file, before it replaces the
   * live one, so a crash during the swap cannot bring the live file in with open sessions. Returns how many.
   */
  private async prepareStagedDatabase(path: string, keyVersion: number, archive: string): Promise<number> {
    const key = this.keys.purposeKey('database', keyVersion);
    const client = createClient({ url: `file:${path}`, encryptionKey: key.toString('hex') });
    key.fill(0);
    try {
      let problems: string[];
      try {
        const rows = (await client.execute('PRAGMA integrity_check')).rows.map((row) => String(row[0]));
        problems = rows.length === 1 && rows[0] === 'ok' ? [] : rows;
      } catch (error) {
        const code = String((error as { code?: unknown }).code ?? '');
        if (code.startsWith('SQLITE_NOTADB')) {
          throw new StorageError(
            StorageErrorCode.RestoreFailed,
            `The database in ${archive} cannot be read with database key version ${keyVersion} of this installation, although the archive itself is intact; nothing was changed. Use another backup.`,
            { archive, keyVersion: String(keyVersion) },
          );
        }
        throw new StorageError(
          StorageErrorCode.RestoreFailed,
          `The database in ${archive} cannot be checked (${code || (error as Error).name}); nothing was changed. Use another backup.`,
          { archive },
        );
      }
      if (problems.length > 0) {
        throw new StorageError(
          StorageErrorCode.RestoreFailed,
          `The database in ${archive} fails its integrity check (${problems.slice(0, 3).join('; ')}); nothing was changed. Use another backup.`,
          { archive, problems: String(problems.length) },
        );
      }
      try {
        // A rollback journal, not WAL: the commit is in the file itself when it is renamed into place (a libSQL
        // connection is really closed only by the garbage collector, and a WAL could be left beside the staged file).
        await client.execute('PRAGMA journal_mode = DELETE');
        const result = await client.execute({ sql: 'UPDATE sessions SET revoked_at = ? WHERE revoked_at IS NULL', args: [Date.now()] });
        return result.rowsAffected;
      } catch (error) {
        const code = String((error as { code?: unknown }).code ?? (error as Error).name);
        throw new StorageError(
          StorageErrorCode.RestoreFailed,
          `The sessions in the database of ${archive} could not be ended (${code}); nothing was changed.`,
          { archive },
        );
      }
    } finally {
      client.close();
    }
  }

  /**
   * What the caller is told. Storage errors pass as they are; an archive error keeps its explanation and its code
   * (`details.archiveCode`); a file-system error names its errno. Anything else is not the caller's to read.
   */
  private failure(error: unknown, code: StorageErrorCode.BackupFailed | StorageErrorCode.RestoreFailed, outcome: string): unknown {
    if (error instanceof BackupArchiveError) {
      return new StorageError(code, error.message, { ...error.details, archiveCode: error.code });
    }
    if (error instanceof PublicError) return error;
    const errno = (error as NodeJS.ErrnoException | undefined)?.code;
    if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) {
      const hint = errno === 'ENOSPC' ? ': the disk is full' : errno === 'EACCES' || errno === 'EPERM' ? ': permission denied' : '';
      this.logger.error({ err: error }, outcome);
      return new StorageError(code, `${outcome} (${errno}${hint}).`, { errno });
    }
    return error;
  }

  private async removeStaging(staging: string): Promise<void> {
    await rm(staging, { recursive: true, force: true }).catch((error: unknown) =>
      this.logger.warn({ err: error, staging }, 'A backup staging directory could not be removed'),
    );
  }
}

async function isDirectoryOrAbsent(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw error;
  }
}

/**
 * Puts `staged` (if the backup had files) in the place of `live` (if there was one): the live directory moves
 * aside to `aside` first, and back if the staged one cannot move in.
 */
async function swapDirectory(staged: string, live: string, aside: string): Promise<void> {
  const hadLive = await stat(live).then(
    () => true,
    () => false,
  );
  const hasStaged = await stat(staged).then(
    () => true,
    () => false,
  );
  if (hadLive) await rename(live, aside);
  if (!hasStaged) return;
  try {
    await rename(staged, live);
  } catch (error) {
    if (hadLive) await rename(aside, live);
    throw error;
  }
}
