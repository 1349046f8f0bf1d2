// The scheduler as real processes (bus, storage, scheduler, and the built CLI): tasks registered over the bus are
// stored by the real storage service, survive a stop of the scheduler, and when it starts again after their next
// occurrence has passed, each task's missed-run policy is applied (run once, or record the skip); the scheduled
// backup writes real encrypted archives through storage and keeps the newest N.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { createTestClient, requestWhenRoutable, type TestClient } from '@aico/bus/testing';
import {
  MissedRunPolicy,
  PingRequestSchema,
  RecordKind,
  RunStatus,
  RunTrigger,
  SchedulerTopics,
  SystemTopics,
  type RunFinished,
  type ScheduledTask,
} from '@aico/contracts';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { StorageClient } from '@aico/storage-client';
import { ServiceProcess, WORKSPACE_ROOT } from '../support/service-process';
import { LOAD_TOLERANT_ENV, SIGNAL_TIMEOUT_MS } from '../support/timing';

const BUS = 'dist/apps/bus/apps/bus/src/main.js';
const STORAGE = 'dist/apps/storage/apps/storage/src/main.js';
const SCHEDULER = 'dist/apps/scheduler/apps/scheduler/src/main.js';
const CLI = join(WORKSPACE_ROOT, 'dist/apps/cli/apps/cli/src/main.js');
const INTERVAL_MS = 3_000;
/** A run's own limit: a ping through the bus answered by this test, so generous (a slow run is not the subject). */
const TASK_TIMEOUT_MS = 60_000;

// Three process starts, a scheduler restart, runs on a 3 s interval, three backups: under a minute when idle.
jest.setTimeout(600_000);

/** Collects run ends as they are announced; `next` waits for the first unconsumed one that matches. */
class RunEnds {
  private readonly seen: RunFinished[] = [];
  private waiters: { match: (event: RunFinished) => boolean; resolve: (event: RunFinished) => void }[] = [];

  readonly push = (event: RunFinished): void => {
    const waiter = this.waiters.find((w) => w.match(event));
    if (waiter) {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.resolve(event);
    } else {
      this.seen.push(event);
    }
  };

  next(match: (event: RunFinished) => boolean, what: string, timeoutMs = SIGNAL_TIMEOUT_MS): Promise<RunFinished> {
    const index = this.seen.findIndex(match);
    if (index >= 0) return Promise.resolve(this.seen.splice(index, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`No run end of ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ match, resolve: (event) => (clearTimeout(timer), resolve(event)) });
    });
  }
}

function runCli(args: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'], ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('scheduler across a restart, with real processes', () => {
  let environment: ServiceTestEnvironment;
  let backups: string;
  const processes: ServiceProcess[] = [];
  let monitor: TestClient;
  let cli: TestClient;
  const ends = new RunEnds();
  const pinged: string[] = [];

  const start = (name: string, script: string): ServiceProcess => {
    const child = new ServiceProcess(name, script, [], environment.env);
    processes.push(child);
    return child;
  };
  const startScheduler = async (): Promise<ServiceProcess> => {
    const scheduler = start('scheduler', SCHEDULER);
    await scheduler.waitForMessage('Tasks loaded and scheduled');
    return scheduler;
  };
  const task = (name: string, missedRunPolicy: MissedRunPolicy) => ({
    name,
    schedule: { kind: { case: 'intervalMs' as const, value: BigInt(INTERVAL_MS) } },
    topic: SystemTopics.ping.topic,
    payload: toBinary(PingRequestSchema, create(PingRequestSchema, { target: 'monitor', data: Buffer.from(name) })),
    timeoutMs: TASK_TIMEOUT_MS,
    retry: { maxAttempts: 2, initialBackoffMs: 500, maxBackoffMs: 500 },
    missedRunPolicy,
  });
  const ended = (name: string, what: string, match: (event: RunFinished) => boolean = () => true) =>
    ends.next((event) => event.lastAttempt?.task === name && match(event), `${name} (${what})`);

  beforeAll(async () => {
    backups = await mkdtemp(join(tmpdir(), 'aico-e2e-backups-'));
    environment = await createServiceTestEnvironment('tcp', {
      ...LOAD_TOLERANT_ENV,
      AICO_LOG__LEVEL: 'info',
      AICO_LOG__FILE: 'false',
      AICO_SCHEDULER__BACKUP__DIRECTORY: backups,
      AICO_SCHEDULER__BACKUP__KEEP_LAST: '2',
    });
  });
  afterAll(async () => {
    await monitor?.close({ drainTimeoutMs: 0 });
    await cli?.close({ drainTimeoutMs: 0 });
    for (const child of processes) child.signal('SIGKILL');
    await environment.cleanup();
    await rm(backups, { recursive: true, force: true });
  });

  it('keeps registrations across a restart and applies each missed-run policy; backs up through storage', async () => {
    await start('bus', BUS).waitForMessage('bus ready');
    await start('storage', STORAGE).waitForMessage('storage ready');
    let scheduler = await startScheduler();

    // A service that registers tasks and answers what they send (a ping addressed to it).
    monitor = createTestClient('monitor', environment.keys, environment.endpoints, { answerPings: false });
    monitor.handle(
      SystemTopics.ping,
      (request) => {
        pinged.push(Buffer.from(request.payload.data).toString());
        return { data: request.payload.data, service: 'monitor' };
      },
      { accept: (request) => request.payload.target === 'monitor' },
    );
    monitor.subscribe(SchedulerTopics.runFinished, (event) => ends.push(event.payload));
    await monitor.connect();
    cli = createTestClient('cli', environment.keys, environment.endpoints);
    await cli.connect();
    await requestWhenRoutable((timeoutMs) => monitor.request(SchedulerTopics.list, {}, { timeoutMs }));

    expect((await monitor.request(SchedulerTopics.register, { task: task('catch-up', MissedRunPolicy.RUN_ONCE) })).created).toBe(true);
    await monitor.request(SchedulerTopics.register, { task: task('no-catch-up', MissedRunPolicy.SKIP) });
    await monitor.request(SchedulerTopics.register, { task: task('dormant', MissedRunPolicy.RUN_ONCE) });
    await cli.request(SchedulerTopics.pause, { name: 'dormant' });
    // Running on schedule before the restart.
    expect((await ended('catch-up', 'on schedule')).lastAttempt).toMatchObject({ status: RunStatus.SUCCEEDED, trigger: RunTrigger.SCHEDULE });

    scheduler.signal('SIGTERM');
    expect(await scheduler.exited).toEqual({ code: 0, signal: null });

    // What the real storage kept of the registrations.
    const storage = new StorageClient(monitor, { attemptTimeoutMs: 5_000, deadlineMs: SIGNAL_TIMEOUT_MS });
    const stored = async (name: string): Promise<ScheduledTask> => {
      const reply = await storage.getRecord(RecordKind.TASK, name);
      if (reply.record?.kind.case !== 'task') throw new Error(`${name} is not stored`);
      return reply.record.kind.value;
    };
    const [catchUp, noCatchUp, dormant] = [await stored('catch-up'), await stored('no-catch-up'), await stored('dormant')];
    expect(catchUp).toMatchObject({
      owner: 'monitor',
      intervalMs: BigInt(INTERVAL_MS),
      topic: 'system.health.ping',
      missedRunPolicy: 'run-once',
      maxAttempts: 2,
      backoffInitialMs: 500,
      timeoutMs: TASK_TIMEOUT_MS,
      enabled: true,
    });
    expect(noCatchUp).toMatchObject({ missedRunPolicy: 'skip', enabled: true });
    expect(dormant).toMatchObject({ enabled: false });
    expect(dormant.nextRunAt).toBeUndefined();

    // The scheduler stays down until both next occurrences have passed (a wait for the clock, not for a guess).
    const missedAt = Math.max(timestampMs(catchUp.nextRunAt!), timestampMs(noCatchUp.nextRunAt!));
    while (Date.now() <= missedAt + 50) await new Promise((resolve) => setTimeout(resolve, 50));
    const pingsBefore = pinged.filter((name) => name === 'catch-up').length;

    scheduler = await startScheduler();
    const caughtUp = (await ended('catch-up', 'caught up', (event) => event.lastAttempt?.trigger === RunTrigger.MISSED)).lastAttempt!;
    expect(caughtUp).toMatchObject({ status: RunStatus.SUCCEEDED, attempt: 1 });
    expect(timestampMs(caughtUp.scheduledFor!)).toBe(timestampMs(catchUp.nextRunAt!));
    const skipped = (await ended('no-catch-up', 'skipped', (event) => event.lastAttempt?.trigger === RunTrigger.MISSED)).lastAttempt!;
    expect(skipped).toMatchObject({ status: RunStatus.SKIPPED, attempt: 0 });
    expect(skipped.error).toMatch(/^\d+ occurrences? from \S+ missed while the scheduler was not running; the missed-run policy is skip\.$/);
    expect(
      scheduler.lines.some(
        (line) => line.msg === 'Running a task once for the occurrences missed while the scheduler was not running' && line['task'] === 'catch-up',
      ),
    ).toBe(true);
    expect(pinged.filter((name) => name === 'catch-up').length).toBeGreaterThan(pingsBefore);
    expect(pinged).not.toContain('dormant');

    const tasks = (await monitor.request(SchedulerTopics.list, {})).tasks.filter((info) => info.owner === 'monitor');
    expect(tasks.map((info) => [info.definition?.name, info.paused])).toEqual([
      ['catch-up', false],
      ['dormant', true],
      ['no-catch-up', false],
    ]);

    // The real CLI reads the same history from the scheduler.
    const history = await runCli(['tasks', 'history', 'catch-up'], environment.env);
    expect(history.code).toBe(0);
    expect(history.stdout.split('\n').filter((line) => /\bmissed\s+1\s+succeeded\b/.test(line))).toHaveLength(1);
    expect(history.stdout).toMatch(/\bschedule\s+1\s+succeeded\b/);
    expect((await runCli(['tasks', 'trigger', 'no-such-task'], environment.env)).code).toBe(66);

    // Three backups through the real storage (encrypted archives); the newest two are kept.
    for (let i = 0; i < 3; i++) {
      const run = await cli.request(SchedulerTopics.trigger, { name: 'backup', wait: true }, { timeoutMs: SIGNAL_TIMEOUT_MS });
      expect(run.lastAttempt).toMatchObject({ status: RunStatus.SUCCEEDED });
    }
    const archives = (await readdir(backups)).sort();
    expect(archives).toHaveLength(2);
    expect(archives.every((name) => /^aico-backup-\d{8}T\d{9}Z\.aico$/.test(name))).toBe(true);
    expect((await readFile(join(backups, archives[1]!))).includes(Buffer.from('catch-up'))).toBe(false); // sealed, not plain

    scheduler.signal('SIGTERM');
    expect(await scheduler.exited).toEqual({ code: 0, signal: null });
  });
});
