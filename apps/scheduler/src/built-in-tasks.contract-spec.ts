// The built-in tasks through the bus: each does its work by sending envelopes (heartbeats in, a health summary out;
// storage.backup.create and archive retention; storage.database.check; security.keys.rotate; run-history
// retention through storage records). Stand-ins answer for storage and keys; the scheduler runs on a ManualClock.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { type IncomingOf } from '@aico/bus';
import { requestWhenRoutable, type TestClient } from '@aico/bus/testing';
import {
  HealthStatus,
  KeyPurpose,
  MissedRunPolicy,
  RunStatus,
  SchedulerTopics,
  SecurityTopics,
  SystemTopics,
  type HealthSummary,
  type RotateKeyRequestSchema,
  type RunFinished,
} from '@aico/contracts';
import { collect, Inbox, startSchedulerHarness, type SchedulerHarness } from './scheduler-harness.test-helpers';
import { SIGNAL_TIMEOUT_MS } from './signal-timeout.test-helpers';

describe('scheduler built-in tasks', () => {
  let h: SchedulerHarness;
  let backups: string;
  let gateway: TestClient;
  let summaries: Inbox<HealthSummary>;
  let finished: Inbox<RunFinished>;
  const rotations = new Inbox<IncomingOf<typeof RotateKeyRequestSchema>>();

  const trigger = (name: string) => gateway.request(SchedulerTopics.trigger, { name, wait: true });
  const beat = (service: string, instanceId: string, status: HealthStatus) =>
    gateway.publish(SystemTopics.heartbeat, { service, instanceId, status, intervalMs: 5_000, process: { cpuPercent: 12.5, rssBytes: 50_000_000n } });

  beforeAll(async () => {
    backups = await mkdtemp(join(tmpdir(), 'aico-scheduler-backups-'));
    h = await startSchedulerHarness({
      AICO_SCHEDULER__BACKUP__DIRECTORY: backups,
      AICO_SCHEDULER__BACKUP__KEEP_LAST: '2',
      AICO_SCHEDULER__KEY_ROTATION__ENABLED: 'true',
      AICO_SCHEDULER__KEY_ROTATION__PURPOSES: 'file',
      AICO_SCHEDULER__HISTORY__KEEP_PER_TASK: '3',
    });
    const keys = h.bus.client('keys');
    keys.handle(SecurityTopics.rotate, (request) => {
      rotations.push(request);
      return { key: { purpose: request.payload.purpose, version: 2 }, previousVersion: 1 };
    });
    await keys.connect();
    gateway = h.bus.client('gateway');
    summaries = collect(gateway, SchedulerTopics.healthSummary);
    finished = collect(gateway, SchedulerTopics.runFinished);
    await gateway.connect();
    await requestWhenRoutable((timeoutMs) => gateway.request(SchedulerTopics.list, {}, { timeoutMs }));
  });
  afterAll(async () => {
    await h.stop();
    await rm(backups, { recursive: true, force: true });
  });

  it('are listed with their schedules, owned by the scheduler; they can be paused but not unregistered or taken over', async () => {
    const tasks = (await gateway.request(SchedulerTopics.list, {})).tasks;
    expect(tasks.map((task) => [task.definition?.name, task.owner, task.builtIn])).toEqual([
      ['backup', 'scheduler', true],
      ['database-check', 'scheduler', true],
      ['health-sweep', 'scheduler', true],
      ['history-cleanup', 'scheduler', true],
      ['key-rotation-file', 'scheduler', true],
    ]);
    const sweep = tasks.find((task) => task.definition?.name === 'health-sweep')!;
    expect(sweep.definition?.schedule?.kind).toEqual({ case: 'intervalMs', value: 60_000n });
    expect(timestampMs(sweep.nextRunAt!)).toBe(h.clock.now() + 60_000);
    expect(tasks.find((task) => task.definition?.name === 'backup')?.definition).toMatchObject({
      schedule: { kind: { case: 'cron', value: '0 0 3 * * *' } },
      missedRunPolicy: MissedRunPolicy.RUN_ONCE,
    });
    expect(h.storage.task('backup')).toMatchObject({ owner: 'scheduler', schedule: '0 0 3 * * *', missedRunPolicy: 'run-once' });

    await expect(gateway.request(SchedulerTopics.unregister, { name: 'backup' })).rejects.toMatchObject({ code: 'SCHEDULER_BUILT_IN' });
    const taken = {
      name: 'backup',
      schedule: { kind: { case: 'intervalMs' as const, value: 60_000n } },
      topic: 'storage.database.check',
      missedRunPolicy: MissedRunPolicy.SKIP,
    };
    await expect(gateway.request(SchedulerTopics.register, { task: taken })).rejects.toMatchObject({ code: 'SCHEDULER_BUILT_IN' });
    expect((await gateway.request(SchedulerTopics.pause, { name: 'database-check' })).task).toMatchObject({ paused: true, builtIn: true });
    expect(h.storage.task('database-check')).toMatchObject({ enabled: false });
    expect((await gateway.request(SchedulerTopics.resume, { name: 'database-check' })).task).toMatchObject({ paused: false });
  });

  it('health sweep: summarises the heartbeats heard and marks the overdue ones stale', async () => {
    await beat('keys', 'keys-1', HealthStatus.OK);
    await beat('storage', 'storage-1', HealthStatus.DEGRADED);
    expect(await trigger('health-sweep')).toMatchObject({ started: true, lastAttempt: { status: RunStatus.SUCCEEDED } });
    const fresh = await summaries.next();
    const mine = (summary: HealthSummary) => summary.services.filter((service) => service.instanceId.endsWith('-1'));
    expect(mine(fresh).map((s) => [s.service, s.status, s.stale, s.cpuPercent, s.rssBytes])).toEqual([
      ['keys', HealthStatus.OK, false, 12.5, 50_000_000n],
      ['storage', HealthStatus.DEGRADED, false, 12.5, 50_000_000n],
    ]);
    expect(fresh.services.some((service) => service.service === 'scheduler')).toBe(true); // its own heartbeat too
    expect(fresh.unhealthy).toBeGreaterThanOrEqual(1);

    // Three intervals (5 s each) and a millisecond later, without a beat: both are stale.
    await h.clock.advance(15_001);
    await trigger('health-sweep');
    const later = await summaries.next();
    expect(mine(later).map((s) => [s.instanceId, s.stale, s.silentMs])).toEqual([
      ['keys-1', true, 15_001n],
      ['storage-1', true, 15_001n],
    ]);
    expect(later.stale).toBeGreaterThanOrEqual(2);

    // A service that announced its stop is not missing.
    await gateway.publish(SystemTopics.serviceStopping, { service: 'storage', instanceId: 'storage-1', reason: 'SIGTERM' });
    await trigger('health-sweep');
    expect(mine(await summaries.next()).map((s) => s.instanceId)).toEqual(['keys-1']);
  });

  it('backup: asks storage for an encrypted archive in the backup directory and keeps the newest N', async () => {
    await writeFile(join(backups, 'notes.txt'), 'not an archive: never deleted');
    for (let i = 0; i < 3; i++) {
      expect(await trigger('backup')).toMatchObject({ lastAttempt: { status: RunStatus.SUCCEEDED } });
      await h.clock.advance(1_000);
    }
    expect(h.storage.backups).toHaveLength(3);
    expect(h.storage.backups.every((path) => path.startsWith(`${backups}/aico-backup-`) && path.endsWith('.aico'))).toBe(true);
    const kept = (await readdir(backups)).sort();
    expect(kept).toEqual([...h.storage.backups.slice(1).map((path) => path.slice(backups.length + 1)), 'notes.txt'].sort());
  });

  it('database check: passes on a sound database; integrity problems fail the run, which is retried later', async () => {
    expect(await trigger('database-check')).toMatchObject({ lastAttempt: { status: RunStatus.SUCCEEDED } });
    h.storage.databaseProblems = ['row 3 missing from index sessions_user'];
    const started = await gateway.request(SchedulerTopics.trigger, { name: 'database-check' });
    // The built-in retry policy: 4 attempts, first wait 60 s, jitter 0.2 (drawn 0.5): 54 s.
    await h.clock.waitForTimer((timer) => timer.delayMs === 54_000, SIGNAL_TIMEOUT_MS, 'the first backoff');
    const entries = (await gateway.request(SchedulerTopics.history, { name: 'database-check' })).entries;
    expect(entries[0]).toMatchObject({
      runId: started.runId,
      attempt: 1,
      status: RunStatus.FAILED,
      error: expect.stringContaining('row 3 missing from index sessions_user'),
    });
    h.storage.databaseProblems = [];
    await h.clock.advance(54_000);
    const { lastAttempt } = await finished.next((event) => event.lastAttempt?.task === 'database-check' && event.lastAttempt.runId === started.runId);
    expect(lastAttempt).toMatchObject({ attempt: 2, status: RunStatus.SUCCEEDED });
  });

  it('key rotation: asks the keys service to rotate the configured purpose, once per run', async () => {
    const { runId, lastAttempt } = await trigger('key-rotation-file');
    expect(lastAttempt?.status).toBe(RunStatus.SUCCEEDED);
    const request = await rotations.next();
    expect(request.payload).toMatchObject({ purpose: KeyPurpose.FILE, reason: 'scheduled rotation' });
    // The run id is the idempotency key, so a retry after a lost reply cannot rotate twice.
    expect(request.envelope.idempotencyKey).toBe(runId);
    expect(request.source).toBe('scheduler');
  });

  it('history cleanup: removes run history beyond what is kept per task', async () => {
    for (let i = 0; i < 4; i++) await trigger('health-sweep');
    expect(h.storage.runs('health-sweep').length).toBeGreaterThan(3);
    expect(await trigger('history-cleanup')).toMatchObject({ lastAttempt: { status: RunStatus.SUCCEEDED } });
    const left = h.storage.runs('health-sweep');
    expect(left).toHaveLength(3);
    const entries = (await gateway.request(SchedulerTopics.history, { name: 'health-sweep', limit: 10 })).entries;
    expect(entries.map((entry) => entry.id)).toEqual(left.map((run) => run.id).reverse()); // the newest three
  });
});
