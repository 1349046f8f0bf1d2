// The key/value state: versioned entries per namespace, with compare-and-set and atomic batches.
import { Inject, Injectable } from '@nestjs/common';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { and, asc, eq, gt, gte, sql } from 'drizzle-orm';
import type {
  DeleteStateRequest,
  GetStateResponseSchema,
  ListStateRequest,
  ListStateResponseSchema,
  PutStateRequest,
  StateEntrySchema,
  WriteStateRequest,
} from '@aico/contracts';
import { Database } from './database/database';
import { state } from './database/schema';
import { checkBytes, checkLimit, checkName, checkText, type Limits } from './input';
import { STORAGE_LIMITS } from './storage.tokens';
import { StorageError, StorageErrorCode } from './storage.error';

type Row = typeof state.$inferSelect;

const toEntry = (row: Row, keysOnly = false): MessageInitShape<typeof StateEntrySchema> => ({
  namespace: row.namespace,
  key: row.key,
  value: keysOnly ? new Uint8Array() : row.value,
  version: BigInt(row.version),
  updatedAt: timestampFromMs(row.updatedAt),
  updatedBy: row.updatedBy,
});

/**
 * The key lookup, the hottest read, as a statement kept on the connection (issue 18: drizzle building its SQL was a
 * tenth of the storage process's CPU under bench:storage, and @libsql/client preparing it again on every execute
 * most of the rest of a read). Its columns are named as drizzle names them, so the row is a state row.
 */
const LOOKUP_SQL = 'SELECT namespace, key, value, version, updated_at AS updatedAt, updated_by AS updatedBy FROM state WHERE namespace = ? AND key = ?';

@Injectable()
export class StateStore {
  constructor(
    private readonly database: Database,
    @Inject(STORAGE_LIMITS) private readonly limits: Limits,
  ) {}

  async get(namespace: string, key: string): Promise<MessageInitShape<typeof GetStateResponseSchema>> {
    checkName('namespace', namespace);
    checkName('key', key, this.limits);
    const row = (await this.database.first(LOOKUP_SQL, namespace, key)) as Row | undefined;
    return row ? { found: true, entry: toEntry(row) } : { found: false };
  }

  async list(request: ListStateRequest): Promise<MessageInitShape<typeof ListStateResponseSchema>> {
    checkName('namespace', request.namespace);
    checkText('prefix', request.prefix, this.limits);
    checkText('after_key', request.afterKey, this.limits);
    const limit = checkLimit(request.limit);
    const conditions = [eq(state.namespace, request.namespace)];
    // Literal and case-sensitive (LIKE is neither); the >= bound lets SQLite seek in the primary key.
    if (request.prefix) conditions.push(gte(state.key, request.prefix), sql`substr(${state.key}, 1, ${[...request.prefix].length}) = ${request.prefix}`);
    if (request.afterKey) conditions.push(gt(state.key, request.afterKey));
    const rows = await (
      await this.database.reader()
    )
      .select()
      .from(state)
      .where(and(...conditions))
      .orderBy(asc(state.key))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    return { entries: page.map((row) => toEntry(row, request.keysOnly)), nextKey: rows.length > limit ? page.at(-1)!.key : '' };
  }

  /** Validates first, so a bad batch is refused before any of it is applied. */
  checkPut(request: PutStateRequest): void {
    checkName('namespace', request.namespace);
    checkName('key', request.key, this.limits);
    checkBytes('value', request.value, this.limits);
  }

  checkDelete(request: DeleteStateRequest): void {
    checkName('namespace', request.namespace);
    checkName('key', request.key, this.limits);
  }

  checkBatch(request: WriteStateRequest): void {
    if (request.operations.length === 0) throw new StorageError(StorageErrorCode.InvalidArgument, 'A state batch needs at least one operation.');
    for (const operation of request.operations) {
      if (operation.operation.case === 'put') this.checkPut(operation.operation.value);
      else if (operation.operation.case === 'delete') this.checkDelete(operation.operation.value);
      else throw new StorageError(StorageErrorCode.InvalidArgument, 'Every operation of a state batch is a put or a delete.');
    }
  }

  /** Inside the write lane only. */
  async put(request: PutStateRequest, writer: string): Promise<bigint> {
    const db = this.database.writes;
    const where = and(eq(state.namespace, request.namespace), eq(state.key, request.key));
    const [current] = await db.select({ version: state.version }).from(state).where(where);
    const currentVersion = current?.version ?? 0;
    if (request.expectedVersion !== undefined && BigInt(currentVersion) !== request.expectedVersion) {
      throw new StorageError(
        StorageErrorCode.VersionConflict,
        `${request.namespace}/${request.key} is at version ${currentVersion}, not ${request.expectedVersion}: read it again and retry.`,
        { currentVersion: String(currentVersion) },
      );
    }
    const version = currentVersion + 1;
    const row = { value: Buffer.from(request.value), version, updatedAt: Date.now(), updatedBy: writer };
    await db
      .insert(state)
      .values({ namespace: request.namespace, key: request.key, ...row })
      .onConflictDoUpdate({ target: [state.namespace, state.key], set: row });
    return BigInt(version);
  }

  /** Inside the write lane only. */
  async delete(request: DeleteStateRequest): Promise<boolean> {
    const db = this.database.writes;
    const where = and(eq(state.namespace, request.namespace), eq(state.key, request.key));
    if (request.expectedVersion !== undefined) {
      const [current] = await db.select({ version: state.version }).from(state).where(where);
      if (BigInt(current?.version ?? 0) !== request.expectedVersion) {
        throw new StorageError(
          StorageErrorCode.VersionConflict,
          `${request.namespace}/${request.key} is at version ${current?.version ?? 0}, not ${request.expectedVersion}.`,
        );
      }
    }
    const result = await db.delete(state).where(where);
    return result.rowsAffected > 0;
  }

  /** Inside the write lane only: the lane's savepoint makes the batch all-or-nothing. */
  async write(request: WriteStateRequest, writer: string): Promise<bigint[]> {
    const versions: bigint[] = [];
    for (const { operation } of request.operations) {
      if (operation.case === 'put') versions.push(await this.put(operation.value, writer));
      else if (operation.case === 'delete') {
        await this.delete(operation.value);
        versions.push(0n);
      }
    }
    return versions;
  }
}
