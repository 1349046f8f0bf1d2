// `aico tasks` against a stand-in scheduler on a real CURVE bus: what each subcommand sends, what it prints, and
// the exit code of every outcome (a failed or skipped run, an unknown task, no scheduler).
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { TestBus, type TestClient } from '@aico/bus/testing';
import { baseConfigSchema, loadConfig } from '@aico/config';
import { MissedRunPolicy, PublicError, RunStatus, RunTrigger, SchedulerErrorCode, SchedulerTopics } from '@aico/contracts';
import { KeyManager } from '@aico/key-manager';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import type { CliContext } from '../cli-context';
import { runCli } from '../cli-program';
import { ExitCode } from '../exit-codes';

class StandInError extends PublicError {}

const at = (iso: string) => timestampFromDate(new Date(iso));

describe('aico tasks', () => {
  let environment: ServiceTestEnvironment;
  let bus: TestBus;
  let scheduler: TestClient;
  let context: CliContext;
  const received: { topic: string; payload: unknown; source: string }[] = [];
  let out: string[] = [];
  let errors: string[] = [];

  const unknown = (name: string) =>
    new StandInError(SchedulerErrorCode.UnknownTask, `No task named "${name}" is registered; "aico tasks list" shows the registered tasks.`);

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('ipc', { AICO_LOG__FILE: 'false' });
    bus = await new TestBus({ transport: 'ipc', keys: environment.keys }).start();
    scheduler = bus.client('scheduler');
    scheduler.handle(SchedulerTopics.list, (request) => {
      received.push({ topic: request.topic, payload: {}, source: request.source });
      return {
        tasks: [
          {
            definition: {
              name: 'backup',
              schedule: { kind: { case: 'cron' as const, value: '0 0 3 * * *' }, timeZone: 'Europe/Berlin' },
              topic: 'storage.backup.create',
              missedRunPolicy: MissedRunPolicy.RUN_ONCE,
            },
            owner: 'scheduler',
            builtIn: true,
            nextRunAt: at('2026-03-02T02:00:00Z'),
          },
          {
            definition: { name: 'sync.mail', schedule: { kind: { case: 'intervalMs' as const, value: 900_000n } }, topic: 'mail.sync.run' },
            owner: 'gateway',
            paused: true,
          },
        ],
      };
    });
    scheduler.handle(SchedulerTopics.trigger, (request) => {
      received.push({ topic: request.topic, payload: { name: request.payload.name, wait: request.payload.wait }, source: request.source });
      switch (request.payload.name) {
        case 'busy':
          return { started: false, skippedReason: 'Run r-1 was still going (attempt 2 of 3); a task never runs twice at once.' };
        case 'broken':
          return { runId: 'r-9', started: true, lastAttempt: { runId: 'r-9', attempt: 3, status: RunStatus.DEAD_LETTERED, error: 'Timed out after 2000 ms.' } };
        case 'missing':
          throw unknown('missing');
        default:
          return { runId: 'r-2', started: true, ...(request.payload.wait ? { lastAttempt: { runId: 'r-2', attempt: 1, status: RunStatus.SUCCEEDED } } : {}) };
      }
    });
    scheduler.handle(SchedulerTopics.pause, (request) => {
      received.push({ topic: request.topic, payload: { name: request.payload.name }, source: request.source });
      return { task: { definition: { name: request.payload.name }, paused: true } };
    });
    scheduler.handle(SchedulerTopics.resume, (request) => {
      received.push({ topic: request.topic, payload: { name: request.payload.name }, source: request.source });
      return { task: { definition: { name: request.payload.name }, nextRunAt: at('2026-03-01T12:15:00Z') } };
    });
    scheduler.handle(SchedulerTopics.history, (request) => {
      received.push({ topic: request.topic, payload: { name: request.payload.name, limit: request.payload.limit }, source: request.source });
      if (request.payload.name !== 'backup') throw unknown(request.payload.name);
      return {
        entries: [
          {
            runId: 'r-3',
            attempt: 2,
            status: RunStatus.SUCCEEDED,
            trigger: RunTrigger.MISSED,
            startedAt: at('2026-03-01T03:01:00Z'),
            finishedAt: at('2026-03-01T03:02:00Z'),
          },
          {
            runId: 'r-3',
            attempt: 1,
            status: RunStatus.FAILED,
            trigger: RunTrigger.MISSED,
            startedAt: at('2026-03-01T03:00:00Z'),
            finishedAt: at('2026-03-01T03:00:05Z'),
            error: 'STORAGE_BUSY from storage: busy',
          },
          {
            runId: 'r-4',
            attempt: 0,
            status: RunStatus.SKIPPED,
            trigger: RunTrigger.SCHEDULE,
            finishedAt: at('2026-03-01T03:00:00Z'),
            error: 'Run r-3 was still going',
          },
        ],
      };
    });
    await scheduler.connect();
    const env = { ...environment.env, AICO_BUS__PUBLISH_ENDPOINT: bus.publishEndpoint, AICO_BUS__SUBSCRIBE_ENDPOINT: bus.subscribeEndpoint };
    const { config } = loadConfig({ schema: baseConfigSchema, env });
    context = { config, keyManager: new KeyManager({ dataDir: config.dataDir }), out: (line) => out.push(line), progress: () => undefined };
  });
  beforeEach(() => {
    received.length = 0;
    out = [];
    errors = [];
  });
  afterAll(async () => {
    await bus.stop();
    await environment.cleanup();
  });

  const aico = (...args: string[]) =>
    runCli(
      ['node', 'aico', ...args],
      () => context,
      (text) => void errors.push(text),
    );

  it('lists the tasks with schedule, next run, state and owner', async () => {
    expect(await aico('tasks', 'list')).toBe(ExitCode.Ok);
    expect(received).toEqual([{ topic: 'scheduler.task.list', payload: {}, source: 'cli' }]);
    expect(out).toEqual([
      'NAME       SCHEDULE                          NEXT RUN                  STATE      OWNER     TOPIC',
      'backup     cron 0 0 3 * * * (Europe/Berlin)  2026-03-02T02:00:00.000Z  scheduled  built-in  storage.backup.create',
      'sync.mail  every 15m                         -                         paused     gateway   mail.sync.run',
    ]);
    expect(await aico('tasks', 'list', '--json')).toBe(ExitCode.Ok);
    expect(JSON.parse(out.slice(3).join('\n'))).toEqual([
      expect.objectContaining({ name: 'backup', schedule: 'cron 0 0 3 * * * (Europe/Berlin)', builtIn: true, nextRunAt: '2026-03-02T02:00:00.000Z' }),
      expect.objectContaining({ name: 'sync.mail', state: 'paused', nextRunAt: null }),
    ]);
  });

  it('triggers a task, and with --wait reports how the run ended (1 when it failed)', async () => {
    expect(await aico('tasks', 'trigger', 'backup')).toBe(ExitCode.Ok);
    expect(out).toEqual(['Started backup (run r-2); "aico tasks history backup" shows how it ends.']);
    expect(await aico('tasks', 'trigger', 'backup', '--wait')).toBe(ExitCode.Ok);
    expect(out.at(-1)).toBe('backup (run r-2) succeeded after 1 attempt.');
    expect(received.map((request) => request.payload)).toEqual([
      { name: 'backup', wait: false },
      { name: 'backup', wait: true },
    ]);

    expect(await aico('tasks', 'trigger', 'broken', '--wait')).toBe(ExitCode.Failure);
    expect(errors.join('')).toContain('broken (run r-9) ended dead-lettered after 3 attempts: Timed out after 2000 ms.');
  });

  it('says when a run was skipped because one is still going (75), and when the task does not exist (66)', async () => {
    expect(await aico('tasks', 'trigger', 'busy')).toBe(ExitCode.TryLater);
    expect(errors.join('')).toContain('busy was not started: Run r-1 was still going');
    expect(await aico('tasks', 'trigger', 'missing')).toBe(ExitCode.NoInput);
    expect(errors.join('')).toContain('No task named "missing" is registered; "aico tasks list" shows the registered tasks. (SCHEDULER_UNKNOWN_TASK)');
    expect(await aico('tasks', 'trigger', 'backup', '--wait', '--timeout', 'soon')).toBe(ExitCode.Usage);
  });

  it('pauses and resumes', async () => {
    expect(await aico('tasks', 'pause', 'sync.mail')).toBe(ExitCode.Ok);
    expect(await aico('tasks', 'resume', 'sync.mail')).toBe(ExitCode.Ok);
    expect(received.map((request) => [request.topic, request.payload])).toEqual([
      ['scheduler.task.pause', { name: 'sync.mail' }],
      ['scheduler.task.resume', { name: 'sync.mail' }],
    ]);
    expect(out).toEqual(['Paused sync.mail; "aico tasks resume sync.mail" schedules it again.', 'Resumed sync.mail; next run 2026-03-01T12:15:00.000Z.']);
  });

  it('shows the run history, newest first', async () => {
    expect(await aico('tasks', 'history', 'backup', '--limit', '5')).toBe(ExitCode.Ok);
    expect(received[0]?.payload).toEqual({ name: 'backup', limit: 5 });
    expect(out).toEqual([
      'STARTED                   FINISHED                  TRIGGER   ATTEMPT  STATUS            ERROR',
      '2026-03-01T03:01:00.000Z  2026-03-01T03:02:00.000Z  missed    2        succeeded',
      '2026-03-01T03:00:00.000Z  2026-03-01T03:00:05.000Z  missed    1        failed (retried)  STORAGE_BUSY from storage: busy',
      '-                         2026-03-01T03:00:00.000Z  schedule  -        skipped           Run r-3 was still going',
    ]);
    expect(await aico('tasks', 'history', 'nothing')).toBe(ExitCode.NoInput);
  });

  it('says the scheduler is unavailable (69) when nothing answers for it', async () => {
    await scheduler.close();
    expect(await aico('tasks', 'list')).toBe(ExitCode.Unavailable);
    expect(errors.join('')).toContain('The scheduler does not answer on the bus');
  });
});
