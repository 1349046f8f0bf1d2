// Persists what is published on the bus: log entries into `logs`, events into `events`, in batches (a batch is
// one transaction, written when it is full or after a short delay), and the rest at shutdown.
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { BusClient, type IncomingMessage } from '@aico/bus';
import { defaultTopicRegistry, SystemTopics, type EventDefinition, type LogEntry } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { Database } from './database/database';
import { HistoryStore, type EventRow, type LogRow } from './history.store';
import type { StorageConfig } from './storage.config';

@Injectable()
export class HistoryRecorder implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private logRows: LogRow[] = [];
  private eventRows: EventRow[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly unsubscribers: (() => void)[] = [];
  private persisted = { logs: 0, events: 0, rejected: 0, lost: 0 };

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: StorageConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly bus: BusClient,
    private readonly database: Database,
    private readonly history: HistoryStore,
  ) {}

  onApplicationBootstrap(): void {
    const ignored = new Set(this.config.storage.ignoredEventTopics);
    this.unsubscribers.push(this.bus.subscribe(SystemTopics.logEntry, (message) => this.take(() => this.logRows.push(this.history.logRow(message.payload as LogEntry)))));
    for (const definition of defaultTopicRegistry.topics()) {
      if (definition.kind !== 'event' || definition.topic === SystemTopics.logEntry.topic || ignored.has(definition.topic)) continue;
      this.unsubscribers.push(this.bus.subscribe(definition as EventDefinition, (message: IncomingMessage) => this.take(() => this.eventRows.push(this.toEventRow(message)))));
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    await this.flush();
    this.logger.info(this.persisted, 'History recorder stopped');
  }

  get counters(): Readonly<typeof this.persisted> {
    return this.persisted;
  }

  /** Waits until everything received so far is committed (tests, shutdown). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const logRows = this.logRows;
    const eventRows = this.eventRows;
    this.logRows = [];
    this.eventRows = [];
    if (logRows.length === 0 && eventRows.length === 0) return this.flushing;
    this.flushing = this.flushing
      .then(() =>
        this.database.lane.run(async () => {
          await this.history.insertLogs(logRows);
          await this.history.insertEvents(eventRows);
        }),
      )
      .then(
        () => {
          this.persisted.logs += logRows.length;
          this.persisted.events += eventRows.length;
        },
        (error: unknown) => {
          this.persisted.lost += logRows.length + eventRows.length;
          this.logger.error({ err: error, logs: logRows.length, events: eventRows.length }, 'A batch of bus history could not be persisted');
        },
      );
    return this.flushing;
  }

  private toEventRow(message: IncomingMessage): EventRow {
    const envelope = message.envelope;
    return this.history.eventRow({
      topic: envelope.topic,
      source: envelope.source,
      messageId: envelope.id,
      correlationId: envelope.correlationId,
      payload: envelope.payload?.value ?? new Uint8Array(),
      ...(envelope.timestamp ? { timestamp: envelope.timestamp } : {}),
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
