// System status for the front end (apps, database health, key versions — never key material) and the log search.
import { Controller, Get } from '@nestjs/common';
import { timestampFromDate, timestampMs } from '@bufbuild/protobuf/wkt';
import { BusClient } from '@aico/bus';
import { KeyPurpose, LogLevel, SecurityTopics } from '@aico/contracts';
import { Permission } from '@aico/policy';
import { StorageClient } from '@aico/storage-client';
import { Access } from '../auth/access.decorator';
import { Doc } from '../http/doc.decorator';
import { ValidQuery, type Input } from '../http/valid-input';
import { HeartbeatTracker } from '../health/heartbeat-tracker';
import { LogsQuery, LogsResponse, SystemStatusResponse } from '../http/schemas';

const LEVELS = { trace: LogLevel.TRACE, debug: LogLevel.DEBUG, info: LogLevel.INFO, warn: LogLevel.WARN, error: LogLevel.ERROR, fatal: LogLevel.FATAL } as const;
const LEVEL_NAMES: Record<number, string> = Object.fromEntries(Object.entries(LEVELS).map(([name, level]) => [level, name]));
const settled = <T>(promise: Promise<T>) => promise.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error: (error as Error).message }));

@Controller()
export class SystemController {
  constructor(
    private readonly tracker: HeartbeatTracker,
    private readonly storage: StorageClient,
    private readonly bus: BusClient,
  ) {}

  @Doc('Apps, database and key state', { response: SystemStatusResponse })
  @Get('system/status')
  @Access(Permission.SystemStatusRead)
  async status() {
    const [database, keys, busRoundTripMs] = await Promise.all([
      settled(this.storage.checkDatabase({ deadlineMs: 2_000 })),
      settled(this.bus.request(SecurityTopics.keysStatus, {}, { timeoutMs: 2_000 })),
      this.tracker.busRoundTripMs(),
    ]);
    return {
      apps: this.tracker.apps(),
      bus: { roundTripMs: busRoundTripMs ?? null },
      database: database.ok
        ? { ok: database.value.ok, problems: database.value.problems, schemaMigration: database.value.schemaMigration, keyVersion: database.value.databaseKeyVersion, sizeBytes: Number(database.value.sizeBytes) }
        : { ok: false, unavailable: database.error },
      keys: keys.ok
        ? { setUp: keys.value.setUp, keychainHoldsMasterKey: keys.value.keychainHoldsMasterKey, versions: keys.value.keyVersions.map((key) => ({ purpose: KeyPurpose[key.purpose].toLowerCase(), version: key.version })) }
        : { unavailable: keys.error },
    };
  }

  @Doc('Search the persisted logs, newest first', { response: LogsResponse })
  @Get('logs')
  @Access(Permission.SystemLogsRead)
  async logs(@ValidQuery(LogsQuery) input: Input<typeof LogsQuery>) {
    const result = await this.storage.queryLogs({
      service: input.service ?? '',
      minLevel: input.minLevel ? LEVELS[input.minLevel] : LogLevel.UNSPECIFIED,
      contains: input.contains ?? '',
      correlationId: input.correlationId ?? '',
      ...(input.since ? { since: timestampFromDate(new Date(input.since)) } : {}),
      ...(input.until ? { until: timestampFromDate(new Date(input.until)) } : {}),
      beforeId: BigInt(input.beforeId ?? 0),
      limit: input.limit ?? 100,
    });
    return {
      entries: result.entries.map(({ id, entry }) => ({
        id: Number(id),
        time: entry?.timestamp ? new Date(timestampMs(entry.timestamp)).toISOString() : null,
        level: LEVEL_NAMES[entry?.level ?? 0] ?? 'unknown',
        service: entry?.service,
        message: entry?.message,
        correlationId: entry?.correlationId || undefined,
        fields: entry?.fieldsJson ? (JSON.parse(entry.fieldsJson) as unknown) : undefined,
      })),
    };
  }
}
