// Opens the one encrypted database: the right key version (healing an interrupted re-key), WAL, migrations (and a
// refusal when the file is newer than this build), integrity checks, checkpoints, snapshots and re-keying.
// One connection: libSQL closes a connection only once the garbage collector has finalized its statements, and
// any second connection makes `journal_mode = DELETE` (needed to re-key) fail with SQLITE_BUSY. Readers therefore
// share the writer's connection (the hottest through statements kept on it: connection.ts) and wait while a write
// transaction is open, so they never see uncommitted writes.
import { chmod, link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Client } from '@libsql/client';
import { drizzle, type LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { Logger } from '@aico/logging';
import { writeFileAtomic } from '@aico/key-manager';
import { Connection, type Row } from './connection';
import * as schema from './schema';
import { WriteLane } from './write-lane';
import { StorageError, StorageErrorCode } from '../storage.error';

export const MIGRATIONS_FOLDER = join(__dirname, 'migrations');
export type Db = LibSQLDatabase<typeof schema>;

/** The database key of a version, as libSQL takes it (hex). */
export type DatabaseKeyOf = (version: number) => string;

export interface OpenDatabaseOptions {
  readonly path: string;
  readonly keyOf: DatabaseKeyOf;
  /** The version the key service says is current: the database is re-keyed to it at open if behind. */
  readonly currentKeyVersion: number;
  readonly logger: Logger;
  readonly migrationsFolder?: string;
}

interface KeyVersionFile {
  version: number;
}

interface RestoreJournal {
  stagedKeyVersion: number;
  previousKeyVersion: number;
}

/** The database and the files beside it hold everything: only the user may read them (docs/architecture.md §7: private to the user, 0600 files). */
export const DATABASE_FILE_MODE = 0o600;
const COMPANION_SUFFIXES = ['', '-wal', '-shm', '-journal', '.key-version.json', '.restore.json', '.pre-restore'];

/**
 * Makes the database file and its companions 0600. A database created before files were made 0600 (or by a process
 * without a restrictive umask) keeps the mode it was created with, and SQLite gives a new -wal or -shm the mode of
 * the database file: so this runs before the file is opened, and again after (for files the opening created).
 * A file that cannot be changed (another owner) is logged, not fatal: the database still works.
 */
export async function restrictDatabaseFiles(path: string, logger: Logger): Promise<void> {
  for (const suffix of COMPANION_SUFFIXES) {
    const file = `${path}${suffix}`;
    try {
      await chmod(file, DATABASE_FILE_MODE);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') logger.warn({ file, code }, 'A database file could not be made private (mode 0600); change its owner or mode');
    }
  }
}

async function removeWalFiles(path: string): Promise<void> {
  await rm(`${path}-wal`, { force: true });
  await rm(`${path}-shm`, { force: true });
}

/**
 * A restore interrupted by a crash: the journal exists. If the database file is gone (crash between unlinking and
 * renaming, which the link-then-rename order avoids, but an older layout could leave), the previous file is put
 * back. Either file present is a complete database; `open` tries both key versions.
 */
async function recoverInterruptedRestore(path: string, logger: Logger): Promise<RestoreJournal | undefined> {
  let journal: RestoreJournal;
  try {
    journal = JSON.parse(await readFile(`${path}.restore.json`, 'utf8')) as RestoreJournal;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const exists = await stat(path).then(
    () => true,
    () => false,
  );
  if (!exists) await rename(`${path}.pre-restore`, path);
  logger.warn({ path, restoredFileInPlace: exists }, 'Found an interrupted restore; finishing it with the database file in place');
  return journal;
}

const isNotADatabase = (error: unknown): boolean => String((error as { code?: unknown }).code ?? '').startsWith('SQLITE_NOTADB');

export class Database {
  private constructor(
    readonly path: string,
    private connection: Connection,
    private keyVersion: number,
    private migrationTag: string,
    private readonly keyOf: DatabaseKeyOf,
    private readonly logger: Logger,
    /** Drizzle for writes: use only inside `lane.run` jobs. */
    public writes: Db,
    readonly lane: WriteLane,
    private readonly migrationsFolder: string,
  ) {}

  /** The last applied migration's tag. */
  get migration(): string {
    return this.migrationTag;
  }

  /** Drizzle for reads, once no write transaction is open: what it reads is committed. */
  async reader(): Promise<Db> {
    await this.lane.settled();
    return this.writes;
  }

  static async open(options: OpenDatabaseOptions): Promise<Database> {
    const { path, logger } = options;
    const versionFile = `${path}.key-version.json`;
    await restrictDatabaseFiles(path, logger);
    const recorded = await readKeyVersion(versionFile);
    const restore = await recoverInterruptedRestore(path, logger);
    // A new database starts as an empty file created 0600 (SQLite would create it with the umask's mode).
    await (await open(path, 'a', DATABASE_FILE_MODE)).close();
    // After a crash in the middle of a re-key the file may already be under the next version (or still the old);
    // after one in the middle of a restore, under the restored or the previous file's version.
    const candidates = [
      ...new Set(
        [recorded, options.currentKeyVersion, recorded + 1, recorded - 1, ...(restore ? [restore.stagedKeyVersion, restore.previousKeyVersion] : [])].filter(
          (v) => v >= 1,
        ),
      ),
    ];
    let connection: Connection | undefined;
    let keyVersion = recorded;
    for (const version of candidates) {
      try {
        connection = await Connection.open(path, options.keyOf(version));
        keyVersion = version;
        break;
      } catch (error) {
        if (!isNotADatabase(error)) throw error;
      }
    }
    if (!connection) {
      throw new StorageError(
        StorageErrorCode.WrongKey,
        `The database ${path} cannot be read with the database key (versions ${candidates.join(', ')} tried): it belongs to another master key, or it is damaged. Restore a backup ("aico restore") or move the file away to start empty.`,
      );
    }
    if (keyVersion !== recorded) await writeKeyVersion(versionFile, keyVersion);
    if (restore) {
      await rm(`${path}.pre-restore`, { force: true });
      await rm(`${path}.restore.json`, { force: true });
    }
    const writer = connection.client;
    await writer.execute('PRAGMA journal_mode = WAL');
    await configureConnection(writer);

    const migrationsFolder = options.migrationsFolder ?? MIGRATIONS_FOLDER;
    const writes = drizzle(writer, { schema });
    const migration = await applyMigrations(writes, writer, migrationsFolder, path, logger);
    await configureConnection(writer);
    // The file may be new (created with the process's umask), and the WAL and SHM with it.
    await restrictDatabaseFiles(path, logger);

    const database = new Database(
      path,
      connection,
      keyVersion,
      migration,
      options.keyOf,
      logger,
      writes,
      new WriteLane(writer, path, logger),
      migrationsFolder,
    );
    if (keyVersion < options.currentKeyVersion) await database.rekey(options.currentKeyVersion);
    return database;
  }

  /** The connection's client: drizzle's and the write lane's, for pragmas and statements of this class. */
  private get client(): Client {
    return this.connection.client;
  }

  /**
   * The first row of a read on a statement kept on the connection (the hottest reads: see connection.ts), once no
   * write transaction is open, as `reader()`.
   */
  async first(sql: string, ...parameters: unknown[]): Promise<Row | undefined> {
    await this.lane.settled();
    return this.connection.first(sql, ...parameters);
  }

  get databaseKeyVersion(): number {
    return this.keyVersion;
  }

  /** `PRAGMA integrity_check`: an empty list when the database is sound. */
  async integrityProblems(): Promise<string[]> {
    await this.lane.settled();
    const result = await this.client.execute('PRAGMA integrity_check');
    const messages = result.rows.map((row) => String(row[0]));
    return messages.length === 1 && messages[0] === 'ok' ? [] : messages;
  }

  async sizes(): Promise<{ sizeBytes: number; walBytes: number }> {
    const size = async (file: string) => (await stat(file).catch(() => undefined))?.size ?? 0;
    return { sizeBytes: await size(this.path), walBytes: await size(`${this.path}-wal`) };
  }

  /**
   * Bytes in pages that hold data (free pages excluded, so it shrinks when history is pruned). Use inside a lane
   * job or after `reader()`: it reads on the writer's connection.
   */
  async usedBytes(): Promise<number> {
    const pragma = async (name: string) => Number((await this.client.execute(`PRAGMA ${name}`)).rows[0]?.[0] ?? 0);
    return ((await pragma('page_count')) - (await pragma('freelist_count'))) * (await pragma('page_size'));
  }

  /** Writes a consistent, encrypted (same key) copy of the database to `target`; writes queue meanwhile. */
  async snapshot(target: string): Promise<number> {
    return this.lane.exclusive(async () => {
      await this.client.execute({ sql: 'VACUUM INTO ?', args: [target] });
      await chmod(target, DATABASE_FILE_MODE);
      return this.keyVersion;
    });
  }

  /** Moves the WAL into the database file and truncates it (after a stop, the file alone is the database). */
  async checkpoint(): Promise<void> {
    await this.lane.exclusive(() => this.client.execute('PRAGMA wal_checkpoint(TRUNCATE)'));
  }

  /**
   * Re-keys to `version`. libSQL re-keys only outside WAL mode, so: hold the lane (writes queue, none is lost),
   * checkpoint, journal_mode=DELETE, PRAGMA rekey, back to WAL, record the version.
   */
  async rekey(version: number): Promise<{ previous: number; durationMs: number }> {
    const started = performance.now();
    const previous = this.keyVersion;
    if (version === previous) return { previous, durationMs: 0 };
    await this.lane.exclusive(async () => {
      await this.client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
      await this.client.execute('PRAGMA journal_mode = DELETE');
      await this.client.execute(`PRAGMA rekey = '${this.keyOf(version)}'`);
      await this.client.execute('PRAGMA journal_mode = WAL');
      await writeKeyVersion(`${this.path}.key-version.json`, version);
      this.keyVersion = version;
    });
    const durationMs = Math.round(performance.now() - started);
    this.logger.info({ previous, version, durationMs }, 'Database re-keyed');
    return { previous, durationMs };
  }

  /**
   * Replaces the database with `stagedPath` (a verified snapshot under key `stagedKeyVersion`); writes queue
   * meanwhile. A restore journal beside the file and a hard link to the current file (`<path>.pre-restore`) make
   * it crash-safe: the staged file replaces the current one in one rename, and `open` finishes or undoes an
   * interrupted swap. If the staged file does not open and migrate, the current one is put back and the error
   * thrown. Re-keys to `currentKeyVersion` afterwards if behind (a failure there is logged: open retries it).
   */
  async replaceWith(stagedPath: string, stagedKeyVersion: number, currentKeyVersion: number): Promise<void> {
    const previous = `${this.path}.pre-restore`;
    const journal = `${this.path}.restore.json`;
    await this.lane.exclusive(async () => {
      const previousKeyVersion = this.keyVersion;
      await this.client.execute('PRAGMA wal_checkpoint(TRUNCATE)');
      await writeFileAtomic(journal, `${JSON.stringify({ stagedKeyVersion, previousKeyVersion } satisfies RestoreJournal)}\n`);
      try {
        await rm(previous, { force: true });
        await link(this.path, previous);
      } catch (error) {
        await rm(journal, { force: true });
        throw error;
      }
      this.connection.close();
      // A closed libSQL connection lingers until GC with the old -shm mapped: unlink it so the new file gets its own.
      await removeWalFiles(this.path);
      try {
        await rename(stagedPath, this.path);
        await this.attach(stagedKeyVersion);
        await writeKeyVersion(`${this.path}.key-version.json`, stagedKeyVersion);
      } catch (error) {
        await removeWalFiles(this.path);
        await rename(previous, this.path);
        await this.attach(previousKeyVersion);
        await rm(journal, { force: true });
        throw error;
      }
      await rm(previous, { force: true });
      await rm(journal, { force: true });
    });
    if (this.keyVersion < currentKeyVersion) {
      await this.rekey(currentKeyVersion).catch((error: unknown) =>
        this.logger.error({ err: error, version: currentKeyVersion }, 'The restored database could not be re-keyed now; it will be at the next start'),
      );
    }
  }

  /** Opens `this.path` under `version` as this database's connection (inside an exclusive section). */
  private async attach(version: number): Promise<void> {
    let connection: Connection;
    try {
      connection = await Connection.open(this.path, this.keyOf(version));
    } catch (error) {
      if (isNotADatabase(error)) throw new StorageError(StorageErrorCode.WrongKey, `${this.path} cannot be read with database key version ${version}.`);
      throw error;
    }
    const client = connection.client;
    const writes = drizzle(client, { schema });
    try {
      await client.execute('PRAGMA journal_mode = WAL');
      await configureConnection(client);
      this.migrationTag = await applyMigrations(writes, client, this.migrationsFolder, this.path, this.logger);
      await configureConnection(client);
    } catch (error) {
      connection.close();
      throw error;
    }
    this.connection = connection;
    this.writes = writes;
    this.keyVersion = version;
    this.lane.useClient(client);
    await restrictDatabaseFiles(this.path, this.logger);
  }

  /** Lets queued writes commit, checkpoints and closes the connection. */
  async close(): Promise<void> {
    await this.lane.close();
    await this.client.execute('PRAGMA wal_checkpoint(TRUNCATE)').catch((error: unknown) => this.logger.warn({ err: error }, 'Checkpoint at close failed'));
    this.connection.close();
  }
}

async function configureConnection(client: Client): Promise<void> {
  // FULL: a commit is on disk (WAL fsync) before it is acknowledged, which is the contract, not only a crash of
  // the process but of the machine. foreign_keys and busy_timeout are per connection.
  await client.execute('PRAGMA synchronous = FULL');
  await client.execute('PRAGMA foreign_keys = ON');
  await client.execute('PRAGMA busy_timeout = 5000');
}

async function applyMigrations(db: Db, client: Client, folder: string, path: string, logger: Logger): Promise<string> {
  const known = readMigrationFiles({ migrationsFolder: folder });
  const journal = JSON.parse(await readFile(join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string; when: number }[] };
  const latestKnown = known.at(-1);
  const hasTable = (await client.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'")).rows.length > 0;
  if (hasTable && latestKnown) {
    const applied = (await client.execute('SELECT hash, created_at FROM __drizzle_migrations ORDER BY created_at DESC LIMIT 1')).rows[0];
    if (applied && Number(applied[1]) > latestKnown.folderMillis) {
      throw new StorageError(
        StorageErrorCode.DatabaseNewerThanCode,
        `The database ${path} was migrated by a newer aico (its schema is from ${new Date(Number(applied[1])).toISOString()}, this build knows schemas up to ${new Date(latestKnown.folderMillis).toISOString()}). Upgrade aico; the database was not touched.`,
      );
    }
  }
  const started = performance.now();
  try {
    await migrate(db, { migrationsFolder: folder });
  } catch (error) {
    throw new StorageError(StorageErrorCode.MigrationFailed, `Migrating ${path} failed and was rolled back: ${(error as Error).message}`);
  }
  const applied = (await client.execute('SELECT created_at FROM __drizzle_migrations ORDER BY created_at DESC LIMIT 1')).rows[0];
  const tag = journal.entries.find((entry) => entry.when === Number(applied?.[0]))?.tag ?? 'none';
  logger.info({ migration: tag, ms: Math.round(performance.now() - started) }, 'Database schema is current');
  return tag;
}

async function readKeyVersion(file: string): Promise<number> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<KeyVersionFile>;
    return Number.isInteger(parsed.version) && parsed.version! >= 1 ? parsed.version! : 1;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 1;
    throw error;
  }
}

async function writeKeyVersion(file: string, version: number): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify({ version } satisfies KeyVersionFile)}\n`);
}
