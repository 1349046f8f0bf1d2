// System status for the front end (apps, database health, key versions — never key material) and the log search:
// the status is composed from the heartbeats the gateway tracks, storage's database check and the key manager's
// key status, each asked with a short deadline; one that does not answer is reported unavailable, not fatal.
import { Injectable } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import { KeyPurpose, LogLevel, SecurityTopics } from '@aico/contracts';
import { StorageClient } from '@aico/storage-client';
import { HeartbeatTracker } from '../health/heartbeat-tracker';
import type { LogsQuery } from '../http/schemas';
import type { Input } from '../http/valid-input';
import { isoTimeOrNull, timestampOfIso } from '../time/iso-time';

const LEVELS = {
  trace: LogLevel.TRACE,
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
  fatal: LogLevel.FATAL,
} as const;
const LEVEL_NAMES: Record<number, string> = Object.fromEntries(Object.entries(LEVELS).map(([name, level]) => [level, name]));
const STATUS_DEADLINE_MS = 2_000;

const settled = <T>(promise: Promise<T>) =>
  promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error: (error as Error).message }),
  );

@Injectable()
export class SystemService {
  constructor(
    private readonly tracker: HeartbeatTracker,
    private readonly storage: StorageClient,
    private readonly bus: BusClient,
  ) {}

  async status() {
    const [database, keys, busRoundTripMs] = await Promise.all([
      settled(this.storage.checkDatabase({ deadlineMs: STATUS_DEADLINE_MS })),
      settled(this.bus.request(SecurityTopics.keysStatus, {}, { timeoutMs: STATUS_DEADLINE_MS })),
      this.tracker.busRoundTripMs(),
    ]);
    return {
      apps: this.tracker.apps(),
      bus: { roundTripMs: busRoundTripMs ?? null },
      database: database.ok
        ? {
            ok: database.value.ok,
            problems: database.value.problems,
            schemaMigration: database.value.schemaMigration,
            keyVersion: database.value.databaseKeyVersion,
            sizeBytes: Number(database.value.sizeBytes),
          }
        : { ok: false, unavailable: database.error },
      keys: keys.ok
        ? {
            setUp: keys.value.setUp,
            keychainHoldsMasterKey: keys.value.keychainHoldsMasterKey,
            versions: keys.value.keyVersions.map((key) => ({ purpose: KeyPurpose[key.purpose].toLowerCase(), version: key.version })),
          }
        : { unavailable: keys.error },
    };
  }

  async logs(query: Input<typeof LogsQuery>) {
    const result = await this.storage.queryLogs({
      service: query.service ?? '',
      minLevel: query.minLevel ? LEVELS[query.minLevel] : LogLevel.UNSPECIFIED,
      contains: query.contains ?? '',
      correlationId: query.correlationId ?? '',
      ...(query.since ? { since: timestampOfIso(query.since) } : {}),
      ...(query.until ? { until: timestampOfIso(query.until) } : {}),
      beforeId: BigInt(query.beforeId ?? 0),
      limit: query.limit ?? 100,
    });
    return {
      entries: result.entries.map(({ id, entry }) => ({
        id: Number(id),
        time: isoTimeOrNull(entry?.timestamp),
        level: LEVEL_NAMES[entry?.level ?? 0] ?? 'unknown',
        service: entry?.service,
        message: entry?.message,
        correlationId: entry?.correlationId || undefined,
        fields: entry?.fieldsJson ? (JSON.parse(entry.fieldsJson) as unknown) : undefined,
      })),
    };
  }
}
