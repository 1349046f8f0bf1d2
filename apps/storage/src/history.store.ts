// Logs and events: append-only history. Bus log entries and events arrive in bursts and are written in batches
// (one transaction per batch); explicit appends over `storage.events.append` are durable writes like any other.
import { Inject, Injectable } from '@nestjs/common';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import { and, asc, desc, eq, gt, gte, lt, lte, type SQL } from 'drizzle-orm';
import type { LogEntry, QueryEventsRequest, QueryLogsRequest, StoredEvent, StoredEventSchema, StoredLogEntrySchema } from '@aico/contracts';
import { Database } from './database/database';
import { containsText, startsWithText } from './database/like';
import { events, logs } from './database/schema';
import { checkBytes, checkLimit, checkName, checkText, type Limits } from './input';
import { STORAGE_LIMITS } from './storage.tokens';

export type LogRow = typeof logs.$inferInsert;
export type EventRow = typeof events.$inferInsert;

/** Rows per INSERT statement: SQLite allows 32766 bound parameters; logs have 8 columns. */
const ROWS_PER_INSERT = 500;

@Injectable()
export class HistoryStore {
  constructor(
    private readonly database: Database,
    @Inject(STORAGE_LIMITS) private readonly limits: Limits,
  ) {}

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

  eventRow(event: Pick<StoredEvent, 'topic' | 'source' | 'messageId' | 'correlationId' | 'payload' | 'timestamp'>): EventRow {
    return {
      topic: checkName('topic', event.topic),
      source: checkName('source', event.source),
      messageId: checkName('message_id', event.messageId),
      time: event.timestamp ? timestampMs(event.timestamp) : Date.now(),
      correlationId: checkText('correlation_id', event.correlationId, this.limits),
      payload: checkBytes('payload', event.payload, this.limits),
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

  async queryLogs(request: QueryLogsRequest): Promise<MessageInitShape<typeof StoredLogEntrySchema>[]> {
    const conditions: SQL[] = [];
    if (request.service) conditions.push(eq(logs.service, checkName('service', request.service)));
    if (request.minLevel) conditions.push(gte(logs.level, request.minLevel));
    if (request.since) conditions.push(gte(logs.time, timestampMs(request.since)));
    if (request.until) conditions.push(lte(logs.time, timestampMs(request.until)));
    if (request.correlationId) conditions.push(eq(logs.correlationId, checkName('correlation_id', request.correlationId)));
    if (request.contains) conditions.push(containsText(logs.message, checkText('contains', request.contains, this.limits)));
    if (request.beforeId) conditions.push(lt(logs.id, Number(request.beforeId)));
    const rows = await (await this.database.reader())
      .select()
      .from(logs)
      .where(and(...conditions))
      .orderBy(desc(logs.id))
      .limit(checkLimit(request.limit));
    return rows.map((row) => ({
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
  }

  async queryEvents(request: QueryEventsRequest): Promise<MessageInitShape<typeof StoredEventSchema>[]> {
    const conditions: SQL[] = [gt(events.sequence, Number(request.afterSequence))];
    if (request.topicPrefix) conditions.push(startsWithText(events.topic, checkName('topic_prefix', request.topicPrefix)));
    if (request.messageId) conditions.push(eq(events.messageId, checkName('message_id', request.messageId)));
    const rows = await (await this.database.reader())
      .select()
      .from(events)
      .where(and(...conditions))
      .orderBy(asc(events.sequence))
      .limit(checkLimit(request.limit));
    return rows.map((row) => ({
      sequence: BigInt(row.sequence),
      topic: row.topic,
      source: row.source,
      messageId: row.messageId,
      timestamp: timestampFromMs(row.time),
      correlationId: row.correlationId,
      payload: row.payload,
    }));
  }
}
