// One connection to the database file: the @libsql/client Client that drizzle, the write lane and the pragmas use,
// built around a libsql Database kept here, so that the hottest reads run statements prepared once on that same
// connection. @libsql/client prepares a statement again on every execute, asks for its columns twice and wraps each
// row: a key lookup took 94-116 µs of CPU through it (127-143 µs through drizzle) and 22-30 µs as a kept statement
// (issue 18). Same connection, so reads keep their rule: they run only while no write transaction is open. Nothing may
// call `client.transaction()`: @libsql/client hands its connection to the transaction and opens another for itself.
import type { Client } from '@libsql/client';
import { Sqlite3Client } from '@libsql/client/sqlite3';
import LibsqlDatabase from 'libsql';

/** A kept statement's row: column name to value (integers as numbers, blobs as Buffers). */
export type Row = Record<string, unknown>;

export class Connection {
  readonly client: Client;
  private readonly native: LibsqlDatabase.Database;
  private statements = new Map<string, LibsqlDatabase.Statement>();

  /** Opens `path` under `encryptionKey` (hex); throws as createClient does on a file that does not open. */
  private constructor(path: string, encryptionKey: string) {
    // What createClient passes for a local file (its other options are for remote replicas).
    const options = { encryptionKey } as LibsqlDatabase.Options;
    this.native = new LibsqlDatabase(path, options);
    // createClient's own construction, with the Database in hand; 'number' is createClient's default intMode.
    this.client = new Sqlite3Client(path, options, this.native, 'number');
  }

  /**
   * Opens `path` under `encryptionKey` and reads its schema, so a key that does not fit fails here (SQLITE_NOTADB)
   * rather than at the first statement; the connection is closed again when that read fails.
   */
  static async open(path: string, encryptionKey: string): Promise<Connection> {
    const connection = new Connection(path, encryptionKey);
    try {
      await connection.client.execute('SELECT count(*) FROM sqlite_master');
      return connection;
    } catch (error) {
      connection.close();
      throw error;
    }
  }

  /** The first row of a query, its statement prepared on first use and kept; undefined when there is none. */
  first(sql: string, ...parameters: unknown[]): Row | undefined {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.native.prepare(sql);
      if (!statement.reader) throw new Error(`Only statements that return rows are kept: ${sql}`);
      this.statements.set(sql, statement);
    }
    return statement.get(...parameters) as Row | undefined;
  }

  /** Closes the connection; kept statements are dropped first (libSQL finalizes them when they are collected). */
  close(): void {
    this.statements = new Map();
    this.client.close();
  }
}
