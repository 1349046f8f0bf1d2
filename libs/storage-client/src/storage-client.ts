// The client side of the storage contract, for every other service. Writes get an idempotency key once and are
// retried with it (timeouts, storage restarting, the bus reconnecting) until acknowledged or the deadline: storage
// applies a key once, so a write is never lost to a retry nor applied twice. Reads retry the same way; domain
// errors (a version conflict, bad input) are not retried.
import { randomUUID } from 'node:crypto';
import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { BusErrorCode, type BusClient } from '@aico/bus';
import {
  PublicError,
  StorageClientErrorCode,
  StorageErrorCode,
  StorageTopics,
  type Record as Record_,
  type RecordKind,
  type RequestDefinition,
  type QueryEventsRequest,
  type QueryLogsRequest,
  type StateOperation,
  type StoredEvent,
  type StoredLogEntry,
} from '@aico/contracts';

export interface StorageClientOptions {
  /** How long a call may take in all, retries included (default 30 s). */
  readonly deadlineMs?: number;
  /** Timeout of one attempt (default 2 s). */
  readonly attemptTimeoutMs?: number;
  /** First pause between attempts, doubled up to maxBackoffMs (defaults 50 ms, 1 s). */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** The clock the deadline is measured on, in ms (default Date.now); a test injects its own to control the deadline. */
  readonly now?: () => number;
}

export interface CallOptions {
  readonly deadlineMs?: number;
  /** Reuse a key to learn the outcome of a write whose acknowledgement was lost earlier. */
  readonly idempotencyKey?: string;
}

// The client's one code belongs to the storage contract, beside the codes storage answers with.
export { StorageClientErrorCode } from '@aico/contracts';

/** No acknowledgement before the deadline: the write may or may not be applied; retry with `details.idempotencyKey`. */
export class StorageClientError extends PublicError<StorageClientErrorCode> {
  override readonly name = 'StorageClientError';
}

/**
 * Whether the same request may succeed when sent again, for every code a storage call can fail with: storage not
 * there yet, restarting, or busy. A code missing here is a type error; domain refusals (a version conflict, bad
 * input, a full disk) are answers, not retried.
 */
const STORAGE_RETRY: Readonly<Record<StorageErrorCode, boolean>> = {
  [StorageErrorCode.ShuttingDown]: true,
  [StorageErrorCode.Busy]: true,
  [StorageErrorCode.WrongKey]: false,
  [StorageErrorCode.DatabaseNewerThanCode]: false,
  [StorageErrorCode.MigrationFailed]: false,
  [StorageErrorCode.InvalidText]: false,
  [StorageErrorCode.InvalidArgument]: false,
  [StorageErrorCode.ValueTooLarge]: false,
  [StorageErrorCode.UnknownRecordKind]: false,
  [StorageErrorCode.NotPermitted]: false,
  [StorageErrorCode.VersionConflict]: false,
  [StorageErrorCode.Conflict]: false,
  [StorageErrorCode.DiskFull]: false,
  [StorageErrorCode.Io]: false,
  [StorageErrorCode.Database]: false,
  [StorageErrorCode.BackupFailed]: false,
  [StorageErrorCode.RestoreFailed]: false,
};

const BUS_RETRY: Readonly<Record<BusErrorCode, boolean>> = {
  [BusErrorCode.DeadlineExceeded]: true,
  [BusErrorCode.NotConnected]: true,
  [BusErrorCode.BusUnreachable]: true,
  [BusErrorCode.QueueFull]: true,
  [BusErrorCode.NoHandler]: true,
  // The caller's own mistakes or state, the same on every attempt.
  [BusErrorCode.UnknownTopic]: false,
  [BusErrorCode.WrongPayloadType]: false,
  [BusErrorCode.NotPermitted]: false,
  [BusErrorCode.NotARequestTopic]: false,
  [BusErrorCode.NotAStreamTopic]: false,
  [BusErrorCode.InvalidRequest]: false,
  [BusErrorCode.PayloadTooLarge]: false,
  [BusErrorCode.AuthRejected]: false,
  [BusErrorCode.Cancelled]: false,
  [BusErrorCode.Closed]: false,
  // A write whose handler failed may have been applied: its idempotency key tells on a later call, not a retry here.
  [BusErrorCode.HandlerFailed]: false,
  // Stream codes; storage answers no streams.
  [BusErrorCode.StreamStalled]: false,
  [BusErrorCode.StreamGap]: false,
  [BusErrorCode.RequesterGone]: false,
  [BusErrorCode.ResponderGone]: false,
};

const RETRY: ReadonlyMap<string, boolean> = new Map<string, boolean>([...Object.entries(STORAGE_RETRY), ...Object.entries(BUS_RETRY)]);

const isRetryable = (error: unknown): boolean => RETRY.get(String((error as { code?: unknown } | undefined)?.code)) === true;

export class StorageClient {
  private readonly deadlineMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly now: () => number;

  constructor(
    private readonly bus: BusClient,
    options: StorageClientOptions = {},
  ) {
    this.deadlineMs = options.deadlineMs ?? 30_000;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 2_000;
    this.initialBackoffMs = options.initialBackoffMs ?? 50;
    this.maxBackoffMs = options.maxBackoffMs ?? 1_000;
    this.now = options.now ?? Date.now;
  }

  getState(namespace: string, key: string, options?: CallOptions) {
    return this.call(StorageTopics.stateGet, { namespace, key }, options);
  }

  putState(namespace: string, key: string, value: Uint8Array, options: CallOptions & { expectedVersion?: bigint } = {}) {
    const { expectedVersion, ...call } = options;
    return this.write(StorageTopics.statePut, { namespace, key, value, ...(expectedVersion === undefined ? {} : { expectedVersion }) }, call);
  }

  deleteState(namespace: string, key: string, options?: CallOptions) {
    return this.write(StorageTopics.stateDelete, { namespace, key }, options);
  }

  listState(request: MessageInitShape<typeof StorageTopics.stateList.payload>, options?: CallOptions) {
    return this.call(StorageTopics.stateList, request, options);
  }

  /** Puts and deletes applied together or not at all. */
  writeState(operations: MessageInitShape<typeof StorageTopics.stateWrite.payload>['operations'] | StateOperation[], options?: CallOptions) {
    return this.write(StorageTopics.stateWrite, { operations: operations ?? [] }, options);
  }

  putRecord(record: MessageInitShape<typeof StorageTopics.recordPut.payload>['record'], options?: CallOptions) {
    return this.write(StorageTopics.recordPut, { record }, options);
  }

  getRecord(kind: RecordKind, id: string, options?: CallOptions) {
    return this.call(StorageTopics.recordGet, { kind, id }, options);
  }

  listRecords(request: MessageInitShape<typeof StorageTopics.recordList.payload>, options?: CallOptions) {
    return this.call(StorageTopics.recordList, request, options);
  }

  /** Every record of a kind (of one parent, when given), in id order, page by page. */
  async *allRecords(kind: RecordKind, parent = '', pageSize = 500): AsyncGenerator<Record_> {
    for (let afterId = ''; ;) {
      const page = await this.listRecords({ kind, parent, afterId, limit: pageSize });
      yield* page.records;
      if (!page.nextId) return;
      afterId = page.nextId;
    }
  }

  deleteRecord(kind: RecordKind, id: string, options?: CallOptions) {
    return this.write(StorageTopics.recordDelete, { kind, id }, options);
  }

  /** Deletes every record of a kind under one parent (a thread's messages) in one transaction; answers the count. */
  deleteRecordsOf(kind: RecordKind, parent: string, options?: CallOptions) {
    return this.write(StorageTopics.recordDelete, { kind, parent }, options);
  }

  appendEvents(events: MessageInitShape<typeof StorageTopics.eventsAppend.payload>['events'], options?: CallOptions) {
    return this.write(StorageTopics.eventsAppend, { events: events ?? [] }, options);
  }

  queryEvents(request: MessageInitShape<typeof StorageTopics.eventsQuery.payload>, options?: CallOptions) {
    return this.call(StorageTopics.eventsQuery, request, options);
  }

  queryLogs(request: MessageInitShape<typeof StorageTopics.logsQuery.payload>, options?: CallOptions) {
    return this.call(StorageTopics.logsQuery, request, options);
  }

  /**
   * Every event matching `request` from its `afterSequence` on, page by page. A page ends at the row limit or at
   * storage's byte budget, whichever comes first; `more` says whether to ask again.
   */
  async *allEvents(request: Partial<Omit<QueryEventsRequest, '$typeName' | '$unknown'>> = {}): AsyncGenerator<StoredEvent> {
    for (let afterSequence = request.afterSequence ?? 0n; ;) {
      const page = await this.queryEvents({ ...request, afterSequence });
      yield* page.events;
      if (!page.more || page.events.length === 0) return;
      afterSequence = page.events.at(-1)!.sequence;
    }
  }

  /** Every log entry matching `request`, newest first, page by page (like `allEvents`). */
  async *allLogs(request: Partial<Omit<QueryLogsRequest, '$typeName' | '$unknown'>> = {}): AsyncGenerator<StoredLogEntry> {
    for (let beforeId = request.beforeId ?? 0n; ;) {
      const page = await this.queryLogs({ ...request, beforeId });
      yield* page.entries;
      if (!page.more || page.entries.length === 0) return;
      beforeId = page.entries.at(-1)!.id;
    }
  }

  checkDatabase(options?: CallOptions) {
    return this.call(StorageTopics.databaseCheck, {}, options);
  }

  /** A write: one idempotency key for every attempt. */
  write<P extends DescMessage, R extends DescMessage>(
    definition: RequestDefinition<P, R>,
    payload: MessageInitShape<P>,
    options: CallOptions = {},
  ): Promise<MessageShape<R>> {
    return this.call(definition, payload, { ...options, idempotencyKey: options.idempotencyKey ?? randomUUID() });
  }

  /** Any request, retried until answered or the deadline. */
  async call<P extends DescMessage, R extends DescMessage>(
    definition: RequestDefinition<P, R>,
    payload: MessageInitShape<P>,
    options: CallOptions = {},
  ): Promise<MessageShape<R>> {
    const deadline = this.now() + (options.deadlineMs ?? this.deadlineMs);
    let backoff = this.initialBackoffMs;
    let attempts = 0;
    let lastError: unknown;
    for (;;) {
      const remaining = deadline - this.now();
      if (remaining <= 0) break;
      attempts++;
      try {
        return await this.bus.request(definition, payload, {
          timeoutMs: Math.max(1, Math.min(this.attemptTimeoutMs, remaining)),
          ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
        });
      } catch (error) {
        if (!isRetryable(error)) throw error;
        lastError = error;
      }
      const pause = Math.min(backoff, deadline - this.now());
      if (pause <= 0) break;
      await new Promise((resolve) => setTimeout(resolve, pause));
      backoff = Math.min(backoff * 2, this.maxBackoffMs);
    }
    const idempotencyKey = options.idempotencyKey ?? '';
    throw new StorageClientError(
      StorageClientErrorCode.NotAcknowledged,
      `Storage did not answer ${definition.topic} within ${options.deadlineMs ?? this.deadlineMs} ms (${attempts} attempts; last: ${(lastError as Error | undefined)?.message ?? 'none'}).${
        idempotencyKey ? ` The write may or may not be applied: repeat it with idempotency key ${idempotencyKey} to find out.` : ''
      }`,
      { topic: definition.topic, attempts: String(attempts), ...(idempotencyKey ? { idempotencyKey } : {}) },
    );
  }
}
