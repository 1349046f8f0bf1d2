// Persists what is published on the bus: log entries into `logs`, events into `events` (metadata only: topic,
// source, user, size, ids, time; never the payload), in batches (a batch is one transaction, written when it is
// full or after a short delay), and the rest at shutdown. History gives way first: while the guard says the
// database is over its budget or the disk under its reserve, batches are dropped (counted, logged once), and a
// batch the disk refuses is counted, not retried; recording resumes by itself once there is room.
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { BusClient, type IncomingMessage } from '@aico/bus';
import { SystemTopics, TopicRegistry } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { Database } from './database/database';
import { HistoryGuard } from './history-guard';
import { HistoryStore, type EventRow, type LogRow } from './history.store';
import type { StorageConfig } from './storage.config';

export interface HistoryCounters {
  readonly logs: number;
  readonly events: number;
  /** Not well-formed (not persisted). */
  readonly rejected: number;
  /** In a batch the database refused (a full disk). */
  readonly lost: number;
  /** In a batch dropped while recording was paused. */
  readonly skipped: number;
}

@Injectable()
export class HistoryRecorder implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private logRows: LogRow[] = [];
  private eventRows: EventRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly unsubscribers: (() => void)[] = [];
  private persisted = { logs: 0, events: 0, rejected: 0, lost: 0, skipped: 0 };
  private readonly guard: HistoryGuard;
  /** Set while paused by the guard: why, and what was dropped meanwhile. */
  private pause: { reason: string; dropped: number } | undefined;
  /** Set while batches fail: what was lost meanwhile. */
  private failure: { lost: number } | undefined;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: StorageConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly bus: BusClient,
    /** runService's registry: every event topic this process knows is recorded. */
    private readonly registry: TopicRegistry,
    private readonly database: Database,
    private readonly history: HistoryStore,
  ) {
    this.guard = new HistoryGuard(database, {
      maxDatabaseBytes: config.storage.historyMaxDatabaseBytes,
      minFreeDiskBytes: config.storage.historyMinFreeDiskBytes,
    });
  }

  onApplicationBootstrap(): void {
    const ignored = new Set(this.config.storage.ignoredEventTopics);
    this.unsubscribers.push(this.bus.subscribe(SystemTopics.logEntry, (message) => this.take(() => this.logRows.push(this.history.logRow(message.payload)))));
    for (const definition of this.registry.topics()) {
      if (definition.kind !== 'event' || definition.topic === SystemTopics.logEntry.topic || ignored.has(definition.topic)) continue;
      this.unsubscribers.push(this.bus.subscribe(definition, (message: IncomingMessage) => this.take(() => this.eventRows.push(this.toEventRow(message)))));
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    await this.flush();
    this.logger.info(this.persisted, 'History recorder stopped');
  }

  get counters(): HistoryCounters {
    return this.persisted;
  }

  /** Why recording is paused, or undefined while it records. */
  get pausedReason(): string | undefined {
    return this.pause?.reason;
  }

  /** Waits until everything received so far is committed or dropped (tests, shutdown). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const logRows = this.logRows;
    const eventRows = this.eventRows;
    this.logRows = [];
    this.eventRows = [];
    if (logRows.length === 0 && eventRows.length === 0) return this.flushing;
    this.flushing = this.flushing.then(() => this.write(logRows, eventRows));
    return this.flushing;
  }

  private async write(logRows: LogRow[], eventRows: EventRow[]): Promise<void> {
    const rows = logRows.length + eventRows.length;
    let reason: string | undefined;
    try {
      reason = await this.database.lane.run(async () => {
        const verdict = await this.guard.verdict();
        if (!verdict.record) return verdict.reason;
        await this.history.insertLogs(logRows);
        await this.history.insertEvents(eventRows);
        return undefined;
      });
    } catch (error) {
      this.persisted.lost += rows;
      if (this.failure) this.failure.lost += rows;
      else {
        this.failure = { lost: rows };
        this.logger.error(
          { err: error, logs: logRows.length, events: eventRows.length },
          'Bus history could not be written; batches are dropped and counted until it works again',
        );
      }
      return;
    }
    if (reason !== undefined) {
      this.persisted.skipped += rows;
      if (this.pause) this.pause.dropped += rows;
      else {
        this.pause = { reason, dropped: rows };
        this.logger.warn({ reason }, 'Bus history recording paused: log entries and events are dropped (counted) until there is room again');
      }
      return;
    }
    this.persisted.logs += logRows.length;
    this.persisted.events += eventRows.length;
    if (this.pause) {
      this.logger.info({ dropped: this.pause.dropped }, 'Bus history recording resumed');
      this.pause = undefined;
    }
    if (this.failure) {
      this.logger.info({ lost: this.failure.lost }, 'Bus history is written again');
      this.failure = undefined;
    }
  }

  private toEventRow(message: IncomingMessage): EventRow {
    const envelope = message.envelope;
    return this.history.recordedEventRow({
      topic: envelope.topic,
      source: envelope.source,
      messageId: envelope.id,
      correlationId: envelope.correlationId,
      user: envelope.attributes['user'] ?? '',
      payloadBytes: envelope.payload?.value.length ?? 0,
      timestamp: envelope.timestamp,
    });
  }

  private take(add: () => void): void {
    try {
      add();
    } catch (error) {
      this.persisted.rejected++;
      this.logger.warn({ err: error }, 'A bus log entry or event was not persisted');
      return;
    }
    if (this.logRows.length + this.eventRows.length >= this.config.storage.historyBatchSize) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.config.storage.historyFlushMs);
  }
}
