// The history budget through the storage contract, with the real app in this process and its real database: once
// the database holds more than its budget, bus history stops being recorded (counted, reported by the database
// check) while acknowledged writes go on; pruning brings it under the budget and recording resumes by itself.
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { requestWhenRoutable, TestBus, type TestClient } from '@aico/bus/testing';
import { LogLevel, StorageTopics, SystemTopics } from '@aico/contracts';
import { runService, type RunningService } from '@aico/service';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { StorageClient } from '@aico/storage-client';
import { HistoryRecorder } from './history-recorder';
import { StorageAppModule } from './storage-app.module';
import { StorageMaintenance } from './storage-maintenance';
import { storageConfigSchema } from './storage.config';

const BUDGET_BYTES = 2 * 1024 * 1024;

describe('bus history within its database budget', () => {
  let environment: ServiceTestEnvironment;
  let bus: TestBus;
  let running: RunningService;
  let scheduler: TestClient;
  let storage: StorageClient;

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('ipc', {
      AICO_LOG__LEVEL: 'warn',
      AICO_LOG__FILE: 'false',
      AICO_STORAGE__HISTORY_MAX_DATABASE_BYTES: String(BUDGET_BYTES),
      AICO_STORAGE__HISTORY_FLUSH_MS: '20',
    });
    bus = await new TestBus({ transport: 'ipc', keys: environment.keys }).start();
    const env = { ...environment.env, AICO_BUS__PUBLISH_ENDPOINT: bus.publishEndpoint, AICO_BUS__SUBSCRIBE_ENDPOINT: bus.subscribeEndpoint };
    running = await runService({ identity: 'storage', module: StorageAppModule, configSchema: storageConfigSchema, env, exitOnStop: false });
    scheduler = await bus.connected('scheduler');
    storage = new StorageClient(scheduler, { attemptTimeoutMs: 5_000 });
    await requestWhenRoutable((timeoutMs) => scheduler.request(StorageTopics.databaseCheck, {}, { timeoutMs }));
  });
  afterAll(async () => {
    await running.stop('test finished');
    await bus.stop();
    await environment.cleanup();
  });

  const log = (message: string, fieldsJson = '') =>
    scheduler.publish(SystemTopics.logEntry, { service: 'guard-test', level: LogLevel.WARN, message, timestamp: timestampFromMs(Date.now()), fieldsJson });
  /** Resolves once storage has recorded (or dropped) the entry: it queries by its message until the recorder flushed past it. */
  const recorded = async (message: string) => {
    await log(message);
    // The recorder takes entries in arrival order; a flush after a round trip through storage covers this one.
    await storage.checkDatabase();
    await running.app.get(HistoryRecorder).flush();
    return (await storage.queryLogs({ service: 'guard-test', contains: message, limit: 1 })).entries.length === 1;
  };

  it('stops recording history over the budget, keeps taking acknowledged writes, and resumes once pruning made room', async () => {
    expect(await recorded('before the budget')).toBe(true);
    const detail = JSON.stringify({ detail: 'y'.repeat(8 * 1024) });
    let check = await storage.checkDatabase();
    for (let round = 0; !check.historyPaused && round < 100; round++) {
      for (let i = 0; i < 50; i++) await log(`filler ${round}-${i}`, detail);
      await storage.checkDatabase();
      await running.app.get(HistoryRecorder).flush();
      check = await storage.checkDatabase();
    }
    expect(check).toMatchObject({ ok: true, historyPaused: true, historyPausedReason: expect.stringContaining('storage.historyMaxDatabaseBytes') });

    // History is dropped and counted; state and records are written and acknowledged as before.
    expect(await recorded('while paused')).toBe(false);
    expect((await storage.checkDatabase()).historyDropped).toBeGreaterThan(0n);
    for (let i = 0; i < 5; i++) await expect(storage.putState('guard', `k${i}`, Buffer.alloc(100 * 1024, i))).resolves.toMatchObject({ version: 1n });
    expect((await storage.getState('guard', 'k4')).found).toBe(true);

    // Retention removes the old history: the pages it held are free again, and recording resumes by itself.
    await running.app.get(StorageMaintenance).prune(Date.now() + 31 * 86_400_000);
    expect(await recorded('after the prune')).toBe(true);
    expect(await storage.checkDatabase()).toMatchObject({ ok: true, historyPaused: false, historyPausedReason: '' });
  }, 180_000);
});
