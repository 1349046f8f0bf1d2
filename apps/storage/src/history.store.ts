// Logs and events: append-only history. Bus log entries and events arrive in bursts and are written in batches
// (one transaction per batch); explicit appends over `storage.events.append` are durable writes like any other.
// Events recorded from the bus keep their metadata only, never their payload: a payload may carry what a person
// said or did, and keeping that is for the service the person consented to (README: which service enforces which
// consent purpose), not for a history every topic feeds by default.
// Query pages are bounded twice: by the request's row limit and by a byte budget (a single larger row comes alone;
// the config keeps any row within one envelope), so a reply always fits the bus.
import { Inject, Injectable } from '@nestjs/common';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs, timestampMs, type Timestamp } from '@bufbuild/protobuf/wkt';
import { and, asc, desc, eq, gt, gte, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { LogEntry, QueryEventsRequest, QueryLogsRequest, StoredEvent, StoredEventSchema, StoredLogEntrySchema } from '@aico/contracts';
import { SERVICE_CONFIG } from '@aico/service';
import { Database } from './database/database';
import { containsText, startsWithText } from './database/like';
import { events, logs } from './database/schema';
import { checkBytes, checkLimit, checkName, checkText, type Limits } from './input';
import type { StorageConfig } from './storage.config';
import { STORAGE_LIMITS } from './storage.tokens';

export type LogRow = typeof logs.$inferInsert;
export type EventRow = typeof events.$inferInsert;

/** Rows per INSERT statement: SQLite allows 32766 bound parameters; events have 10 columns. */
const ROWS_PER_INSERT = 500;
/**
 * Bytes a row adds to a reply beyond its fields' own bytes: protobuf tags and lengths, the sequence or id, the
 * timestamp, the level, the size and flag of an event (at most ~75). An upper bound, so a page stays within its budget.
 */
const ROW_OVERHEAD_BYTES = 96;

/** What the history recorder knows of a bus event: everything but its payload. */
export interface RecordedEvent {
  readonly topic: string;
  readonly source: string;
  readonly messageId: string;
  readonly correlationId: string;
  readonly user: string;
  readonly payloadBytes: number;
  readonly timestamp?: Timestamp | undefined;
}

/** The rows that fit the byte budget (at least one): how many, and whether more matched. */
function fitPage(sizes: readonly number[], rowLimit: number, budget: number): { count: number; more: boolean } {
  let total = 0;
  let count = 0;
  for (const size of sizes.slice(0, rowLimit)) {
    const bytes = size + ROW_OVERHEAD_BYTES;
    if (count > 0 && total + bytes > budget) break;
    total += bytes;
    count++;
  }
  return { count, more: sizes.length > count };
}

@Injectable()
export class HistoryStore {
  private readonly pageBytes: number;

  constructor(
    private readonly database: Database,
    @Inject(STORAGE_LIMITS) private readonly limits: Limits,
    @Inject(SERVICE_CONFIG) config: StorageConfig,
  ) {
    this.pageBytes = config.storage.queryPageBytes;
  }

  /** A log entry as a row; text that is not well-formed is dropped with a reason rather than written. */
  logRow(entry: LogEntry): LogRow {
    const text = (field: string, value: string) => checkText(field, value, this.limits);
    return {
      time: entry.timestamp ? timestampMs(entry.timestamp) : Date.now(),
      level: entry.level,
      service: text('service', entry.service),
      instanceId: text('instance_id', entry.instanceId),
      context: text('context', entry.context),
      message: text('message', entry.message),
      correlationId: text('correlation_id', entry.correlationId),
      fieldsJson: text('fields_json', entry.fieldsJson),
    };
  }

  /** An event appended explicitly: the appender chose to keep it, payload included. */
  eventRow(event: Pick<StoredEvent, 'topic' | 'source' | 'messageId' | 'correlationId' | 'payload' | 'timestamp' | 'user'>): EventRow {
    const payload = checkBytes('payload', event.payload, this.limits);
    return {
      topic: checkName('topic', event.topic),
      source: checkName('source', event.source),
      messageId: checkName('message_id', event.messageId),
      time: event.timestamp ? timestampMs(event.timestamp) : Date.now(),
      correlationId: checkText('correlation_id', event.correlationId, this.limits),
      payload,
      userId: event.user ? checkName('user', event.user) : '',
      payloadBytes: payload.length,
      recorded: false,
    };
  }

  /** An event recorded from the bus: metadata only. A `user` attribute that is not a plain name is left out. */
  recordedEventRow(event: RecordedEvent): EventRow {
    let user = '';
    try {
      user = event.user ? checkName('user', event.user) : '';
    } catch {
      // The attribute is the publisher's metadata, not the event's substance: the event is kept without it.
    }
    return {
      topic: checkName('topic', event.topic),
      source: checkName('source', event.source),
      messageId: checkName('message_id', event.messageId),
      time: event.timestamp ? timestampMs(event.timestamp) : Date.now(),
      correlationId: checkText('correlation_id', event.correlationId, this.limits),
      payload: Buffer.alloc(0),
      userId: user,
      payloadBytes: event.payloadBytes,
      recorded: true,
    };
  }

  /** Inside the write lane only. */
  async insertLogs(rows: readonly LogRow[]): Promise<void> {
    for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
      await this.database.writes.insert(logs).values(rows.slice(start, start + ROWS_PER_INSERT));
    }
  }

  /** Inside the write lane only; returns the sequences in order. */
  async insertEvents(rows: readonly EventRow[]): Promise<bigint[]> {
    const sequences: bigint[] = [];
    for (let start = 0; start < rows.length; start += ROWS_PER_INSERT) {
      const inserted = await this.database.writes
        .insert(events)
        .values(rows.slice(start, start + ROWS_PER_INSERT))
        .returning({ sequence: events.sequence });
      sequences.push(...inserted.map((row) => BigInt(row.sequence)));
    }
    return sequences;
  }

  /** Inside the write lane only: removes history older than the cut-offs (0: keep). Returns rows removed. */
  async prune(logsBeforeMs: number, eventsBeforeMs: number): Promise<{ logs: number; events: number }> {
    const db = this.database.writes;
    const removedLogs = logsBeforeMs > 0 ? (await db.delete(logs).where(lt(logs.time, logsBeforeMs))).rowsAffected : 0;
    const removedEvents = eventsBeforeMs > 0 ? (await db.delete(events).where(lt(events.time, eventsBeforeMs))).rowsAffected : 0;
    return { logs: removedLogs, events: removedEvents };
  }

  /**
   * Newest first. The sizes of the candidate rows are read first (without their content), then only the rows that
   * fit the page, so a limit of 1000 large rows never loads them all.
   */
  async queryLogs(request: QueryLogsRequest): Promise<{ entries: MessageInitShape<typeof StoredLogEntrySchema>[]; more: boolean }> {
    const conditions: SQL[] = [];
    if (request.service) conditions.push(eq(logs.service, checkName('service', request.service)));
    if (request.minLevel) conditions.push(gte(logs.level, request.minLevel));
    if (request.since) conditions.push(gte(logs.time, timestampMs(request.since)));
    if (request.until) conditions.push(lte(logs.time, timestampMs(request.until)));
    if (request.correlationId) conditions.push(eq(logs.correlationId, checkName('correlation_id', request.correlationId)));
    if (request.contains) conditions.push(containsText(logs.message, checkText('contains', request.contains, this.limits)));
    if (request.beforeId) conditions.push(lt(logs.id, Number(request.beforeId)));
    const limit = checkLimit(request.limit);
    const db = await this.database.reader();
    const size = sql<number>`octet_length(${logs.service}) + octet_length(${logs.instanceId}) + octet_length(${logs.context}) + octet_length(${logs.message}) + octet_length(${logs.correlationId}) + octet_length(${logs.fieldsJson})`;
    const candidates = await db
      .select({ id: logs.id, size })
      .from(logs)
      .where(and(...conditions))
      .orderBy(desc(logs.id))
      .limit(limit + 1);
    const { count, more } = fitPage(
      candidates.map((row) => row.size),
      limit,
      this.pageBytes,
    );
    if (count === 0) return { entries: [], more: false };
    // Both ends: entries written since the first query (newer, higher ids) belong to no page of this one.
    const rows = await (
      await this.database.reader()
    )
      .select()
      .from(logs)
      .where(and(...conditions, gte(logs.id, candidates[count - 1]!.id), lte(logs.id, candidates[0]!.id)))
      .orderBy(desc(logs.id))
      .limit(count);
    const entries = rows.map((row) => ({
      id: BigInt(row.id),
      entry: {
        timestamp: timestampFromMs(row.time),
        level: row.level,
        service: row.service,
        instanceId: row.instanceId,
        context: row.context,
        message: row.message,
        correlationId: row.correlationId,
        fieldsJson: row.fieldsJson,
      },
    }));
    return { entries, more };
  }

  /** In sequence order, bounded like `queryLogs`. */
  async queryEvents(request: QueryEventsRequest): Promise<{ events: MessageInitShape<typeof StoredEventSchema>[]; more: boolean }> {
    const conditions: SQL[] = [gt(events.sequence, Number(request.afterSequence))];
    if (request.topicPrefix) conditions.push(startsWithText(events.topic, checkName('topic_prefix', request.topicPrefix)));
    if (request.messageId) conditions.push(eq(events.messageId, checkName('message_id', request.messageId)));
    const limit = checkLimit(request.limit);
    const db = await this.database.reader();
    // length() of a BLOB is read from the record header: the payload itself is not loaded.
    const size = sql<number>`octet_length(${events.topic}) + octet_length(${events.source}) + octet_length(${events.messageId}) + octet_length(${events.correlationId}) + octet_length(${events.userId}) + length(${events.payload})`;
    const candidates = await db
      .select({ sequence: events.sequence, size })
      .from(events)
      .where(and(...conditions))
      .orderBy(asc(events.sequence))
      .limit(limit + 1);
    const { count, more } = fitPage(
      candidates.map((row) => row.size),
      limit,
      this.pageBytes,
    );
    if (count === 0) return { events: [], more: false };
    const rows = await (
      await this.database.reader()
    )
      .select()
      .from(events)
      .where(and(...conditions, lte(events.sequence, candidates[count - 1]!.sequence)))
      .orderBy(asc(events.sequence))
      .limit(count);
    const page = rows.map((row) => ({
      sequence: BigInt(row.sequence),
      topic: row.topic,
      source: row.source,
      messageId: row.messageId,
      timestamp: timestampFromMs(row.time),
      correlationId: row.correlationId,
      payload: row.payload,
      user: row.userId,
      payloadBytes: BigInt(row.payloadBytes),
      recorded: row.recorded,
    }));
    return { events: page, more };
  }
}
