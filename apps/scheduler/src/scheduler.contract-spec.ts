// The scheduler app through its bus contract: the real app in this process behind a real CURVE proxy, on a clock
// the test moves by hand, with a storage stand-in. Test clients register tasks, answer (or fail, or hang on) the
// requests tasks make, and read the events, history and stored records that come back. Built-in tasks are off here
// (built-in-tasks.contract-spec.ts covers them).
import { create, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampMs, type Timestamp } from '@bufbuild/protobuf/wkt';
import { requestWhenRoutable, type TestClient } from '@aico/bus/testing';
import {
  MissedRunPolicy,
  PingRequestSchema,
  RunStatus,
  RunTrigger,
  SchedulerTopics,
  type PingRequest,
  type RunFinished,
  type TaskDeadLettered,
  type TaskDefinitionSchema,
} from '@aico/contracts';
import { collect, startSchedulerHarness, TestTopics, Worker, type Inbox, type SchedulerHarness } from './scheduler-harness.test-helpers';
import { SIGNAL_TIMEOUT_MS } from './signal-timeout.test-helpers';

const HOUR = 3_600_000;
const ms = (timestamp: Timestamp | undefined): number | undefined => (timestamp ? timestampMs(timestamp) : undefined);
const work = (target: string): Uint8Array => toBinary(PingRequestSchema, create(PingRequestSchema, { target }));

type Definition = MessageInitShape<typeof TaskDefinitionSchema>;
const every = (intervalMs: number): NonNullable<Definition['schedule']> => ({ kind: { case: 'intervalMs', value: BigInt(intervalMs) } });

function task(name: string, overrides: Partial<Definition> = {}): Definition {
  return {
    name,
    schedule: every(HOUR),
    topic: TestTopics.work.topic,
    payload: work(name),
    timeoutMs: 5_000,
    retry: { maxAttempts: 1 },
    missedRunPolicy: MissedRunPolicy.SKIP,
    ...overrides,
  } as Definition;
}

describe('scheduler app contract', () => {
  let h: SchedulerHarness;
  let worker: Worker;
  let cli: TestClient;
  let finished: Inbox<RunFinished>;
  let deadLetters: Inbox<TaskDeadLettered>;
  let announced: Inbox<PingRequest>;

  const register = (definition: Definition) => worker.client.request(SchedulerTopics.register, { task: definition });
  const unregister = (name: string) => worker.client.request(SchedulerTopics.unregister, { name });
  const history = async (name: string) => (await cli.request(SchedulerTopics.history, { name })).entries;
  const listed = async (name: string) => (await cli.request(SchedulerTopics.list, {})).tasks.find((info) => info.definition?.name === name);
  const ended = (name: string, status?: RunStatus) =>
    finished.next(
      (event) => event.lastAttempt?.task === name && (status === undefined || event.lastAttempt.status === status),
      SIGNAL_TIMEOUT_MS,
      `the end of a run of ${name}`,
    );
  const requestFor = (name: string) => worker.requests.next((request) => request.payload.target === name, SIGNAL_TIMEOUT_MS, `a request of ${name}`);

  beforeAll(async () => {
    h = await startSchedulerHarness({
      AICO_SCHEDULER__HEALTH_SWEEP__ENABLED: 'false',
      AICO_SCHEDULER__DATABASE_CHECK__ENABLED: 'false',
      AICO_SCHEDULER__BACKUP__ENABLED: 'false',
      AICO_SCHEDULER__HISTORY_CLEANUP__ENABLED: 'false',
    });
    worker = await Worker.start(h.bus, 'monitor');
    finished = collect(worker.client, SchedulerTopics.runFinished);
    deadLetters = collect(worker.client, SchedulerTopics.deadLettered);
    announced = collect(worker.client, TestTopics.announced);
    await worker.client.connect();
    cli = await h.bus.connected('cli');
    await requestWhenRoutable((timeoutMs) => cli.request(SchedulerTopics.list, {}, { timeoutMs }));
  });
  afterAll(async () => {
    worker.release();
    await h.stop();
  });

  it('stores a registration with everything it says, and lists it with its next run time', async () => {
    const now = h.clock.now();
    const reply = await register(
      task('stored', {
        schedule: every(60_000),
        timeoutMs: 7_000,
        retry: { maxAttempts: 3, initialBackoffMs: 500, maxBackoffMs: 4_000, jitter: 0.25 },
        missedRunPolicy: MissedRunPolicy.RUN_ONCE,
        description: 'kept across restarts',
      }),
    );
    expect(reply).toMatchObject({ created: true, task: { owner: 'monitor', builtIn: false, paused: false, running: false } });
    expect(ms(reply.task?.nextRunAt)).toBe(now + 60_000);

    const record = h.storage.task('stored')!;
    expect(record).toMatchObject({
      intervalMs: 60_000n,
      schedule: '',
      enabled: true,
      topic: 'test.work.run',
      maxAttempts: 3,
      backoffInitialMs: 500,
      backoffMaxMs: 4_000,
      backoffJitter: 0.25,
      timeoutMs: 7_000,
      missedRunPolicy: 'run-once',
      owner: 'monitor',
      description: 'kept across restarts',
    });
    expect(Buffer.from(record.payload)).toEqual(Buffer.from(work('stored')));
    expect(ms(record.nextRunAt)).toBe(now + 60_000);
    expect(h.storage.writes.at(-1)).toEqual({ kind: expect.any(Number), id: 'stored', writer: 'scheduler' });

    const info = await listed('stored');
    expect(info).toMatchObject({
      owner: 'monitor',
      definition: { timeoutMs: 7_000, missedRunPolicy: MissedRunPolicy.RUN_ONCE, retry: { maxAttempts: 3, jitter: 0.25 } },
    });
    expect(ms(info?.nextRunAt)).toBe(now + 60_000);

    // Registering again replaces the definition and keeps the phase of the schedule.
    const again = await register(task('stored', { schedule: every(60_000), description: 'replaced' }));
    expect(again.created).toBe(false);
    expect(ms(again.task?.nextRunAt)).toBe(now + 60_000);
    expect(h.storage.task('stored')?.description).toBe('replaced');

    expect(await unregister('stored')).toMatchObject({ removed: true });
    expect(h.storage.task('stored')).toBeUndefined();
    expect(await listed('stored')).toBeUndefined();
  });

  it('refuses registrations it could not run, with errors that say what to change', async () => {
    const refused = (definition: Definition, message: RegExp, code = 'SCHEDULER_INVALID_TASK') =>
      expect(register(definition)).rejects.toMatchObject({ code, source: 'scheduler', message: expect.stringMatching(message) });
    await refused(task('no-topic', { topic: 'test.work.nowhere' }), /not in the topic registry/);
    await refused(task('not-mine', { topic: TestTopics.forbidden.topic }), /scheduler may not request "test.work.forbidden"/);
    await refused(task('own-topic', { topic: SchedulerTopics.list.topic }), /may not send the scheduler's own topic/);
    await refused(task('garbled', { payload: Uint8Array.from([0x0a, 0xff]) }), /does not decode as aico.system.v1.PingRequest/);
    await refused(task('no-policy', { missedRunPolicy: MissedRunPolicy.UNSPECIFIED }), /State the missed-run policy/);
    await refused(task('bad-cron', { schedule: { kind: { case: 'cron', value: '61 * * * *' } } }), /cron expression "61 \* \* \* \*" is not valid/);
    await refused(task('bad-zone', { schedule: { kind: { case: 'cron', value: '0 3 * * *' }, timeZone: 'Mars/Olympus' } }), /not an IANA time zone/);
    await refused(task('too-often', { schedule: every(10) }), /at least 1000/);
    await refused(task('Bad Name'), /task name must be/);
    await refused(task('backwards', { retry: { maxAttempts: 3, initialBackoffMs: 5_000, maxBackoffMs: 1_000 } }), /max_backoff_ms \(1000\) is below/);
    await refused(task('jittery', { retry: { maxAttempts: 3, initialBackoffMs: 1_000, maxBackoffMs: 2_000, jitter: 1.5 } }), /jitter is a fraction/);
    expect(h.storage.tasks().map((record) => record.id)).not.toEqual(expect.arrayContaining(['no-topic', 'garbled', 'no-policy']));

    // A name belongs to its owner; only the owner or an operator may manage the task.
    await register(task('owned'));
    await expect(cli.request(SchedulerTopics.register, { task: task('owned') })).rejects.toMatchObject({ code: 'SCHEDULER_NAME_TAKEN' });
    const keys = await h.bus.connected('keys');
    await expect(keys.request(SchedulerTopics.pause, { name: 'owned' })).rejects.toMatchObject({ code: 'SCHEDULER_NOT_PERMITTED' });
    await expect(keys.request(SchedulerTopics.unregister, { name: 'owned' })).rejects.toMatchObject({ code: 'SCHEDULER_NOT_PERMITTED' });
    await expect(cli.request(SchedulerTopics.trigger, { name: 'nothing-here' })).rejects.toMatchObject({
      code: 'SCHEDULER_UNKNOWN_TASK',
      message: expect.stringContaining('aico tasks list'),
    });
    expect(await cli.request(SchedulerTopics.unregister, { name: 'owned' })).toMatchObject({ removed: true });
  });

  it('retries a failing task with exponential backoff and jitter on its clock, then dead-letters it', async () => {
    worker.behaviour.set('flaky', 'fail');
    // Waits 1000 · 2^(n-1) capped at 3000, each shortened by jitter 0.2 × the drawn 0.5: 900, 1800, 2700 ms.
    await register(task('flaky', { schedule: every(60_000), retry: { maxAttempts: 4, initialBackoffMs: 1_000, maxBackoffMs: 3_000, jitter: 0.2 } }));
    const due = h.clock.now() + 60_000;
    await h.clock.advance(60_000);
    await requestFor('flaky');
    for (const waitMs of [900, 1_800, 2_700]) {
      const backoff = await h.clock.waitForTimer((timer) => timer.delayMs === waitMs, SIGNAL_TIMEOUT_MS, `a ${waitMs} ms backoff`);
      expect(backoff.dueAt - h.clock.now()).toBe(waitMs);
      await h.clock.advance(waitMs - 1);
      expect(h.clock.pending()).toContainEqual({ dueAt: backoff.dueAt, delayMs: waitMs }); // not a millisecond early
      await h.clock.advance(1);
      await requestFor('flaky');
    }

    const dead = await deadLetters.next((letter) => letter.task === 'flaky');
    expect(dead).toMatchObject({
      owner: 'monitor',
      topic: 'test.work.run',
      attempts: 4,
      trigger: RunTrigger.SCHEDULE,
      lastError: 'WORK_BROKEN from monitor: The work "flaky" is broken.',
    });
    expect(Buffer.from(dead.payload)).toEqual(Buffer.from(work('flaky')));
    expect(ms(dead.scheduledFor)).toBe(due);
    expect((await ended('flaky')).lastAttempt).toMatchObject({ attempt: 4, status: RunStatus.DEAD_LETTERED });

    const entries = await history('flaky');
    expect(entries.map((entry) => [entry.attempt, entry.status, ms(entry.startedAt)! - due])).toEqual([
      [4, RunStatus.DEAD_LETTERED, 5_400],
      [3, RunStatus.FAILED, 2_700],
      [2, RunStatus.FAILED, 900],
      [1, RunStatus.FAILED, 0],
    ]);
    expect(new Set(entries.map((entry) => entry.runId)).size).toBe(1);
    expect(entries.every((entry) => entry.error.includes('WORK_BROKEN') && ms(entry.finishedAt) === ms(entry.startedAt))).toBe(true);
    expect(worker.requests.pending.filter((request) => request.payload.target === 'flaky')).toEqual([]);
    await unregister('flaky');
  });

  it('cuts an attempt off at the task timeout, measured on its clock', async () => {
    worker.behaviour.set('slow', 'hang');
    await register(task('slow', { timeoutMs: 2_000 }));
    const triggered = await cli.request(SchedulerTopics.trigger, { name: 'slow' });
    expect(triggered).toMatchObject({ started: true, skippedReason: '' });
    await requestFor('slow');
    await h.clock.waitForTimer((timer) => timer.delayMs === 2_000, SIGNAL_TIMEOUT_MS, 'the attempt deadline');
    await h.clock.advance(2_000);
    const { lastAttempt } = await ended('slow');
    expect(lastAttempt).toMatchObject({
      runId: triggered.runId,
      status: RunStatus.DEAD_LETTERED,
      trigger: RunTrigger.MANUAL,
      error: 'Timed out after 2000 ms.',
    });
    expect(ms(lastAttempt?.finishedAt)! - ms(lastAttempt?.startedAt)!).toBe(2_000);
    worker.release();
    await unregister('slow');
  });

  it('never runs a task twice at once: an occurrence or trigger during a run is skipped, and the history says so', async () => {
    worker.behaviour.set('long', 'hang');
    await register(task('long', { schedule: every(10_000), timeoutMs: 600_000 }));
    await h.clock.advance(10_000);
    await requestFor('long');
    expect(await listed('long')).toMatchObject({ running: true });

    await h.clock.advance(10_000);
    const bySchedule = (await ended('long', RunStatus.SKIPPED)).lastAttempt!;
    expect(bySchedule).toMatchObject({ trigger: RunTrigger.SCHEDULE, attempt: 0, error: expect.stringMatching(/^Run \S+ was still going \(attempt 1 of 1\)/) });
    const byHand = await cli.request(SchedulerTopics.trigger, { name: 'long', wait: true });
    expect(byHand).toMatchObject({
      started: false,
      runId: '',
      skippedReason: expect.stringContaining('was still going'),
      lastAttempt: { status: RunStatus.SKIPPED, trigger: RunTrigger.MANUAL },
    });

    worker.release();
    expect((await ended('long', RunStatus.SUCCEEDED)).lastAttempt).toMatchObject({ attempt: 1, trigger: RunTrigger.SCHEDULE });
    expect(worker.requests.pending.filter((request) => request.payload.target === 'long')).toEqual([]); // one request only
    expect((await history('long')).map((entry) => [entry.status, entry.trigger])).toEqual([
      [RunStatus.SKIPPED, RunTrigger.MANUAL],
      [RunStatus.SKIPPED, RunTrigger.SCHEDULE],
      [RunStatus.SUCCEEDED, RunTrigger.SCHEDULE],
    ]);
    await unregister('long');
  });

  it("keeps every other task running while one fails, and never passes a failure's internals on", async () => {
    worker.behaviour.set('broken', 'crash');
    await register(task('broken', { schedule: every(10_000), retry: { maxAttempts: 2, initialBackoffMs: 30_000, maxBackoffMs: 30_000 } }));
    // This one publishes an event: success is handing it to the bus.
    await register(task('steady', { schedule: every(10_000), topic: TestTopics.announced.topic }));

    // broken fails at 10 s and waits 30 s to retry: its occurrences at 20 s and 30 s find it still going.
    for (let round = 1; round <= 4; round++) {
      await h.clock.advance(10_000);
      expect(await announced.next((event) => event.target === 'steady', SIGNAL_TIMEOUT_MS, `steady's event in round ${round}`)).toBeDefined();
      expect((await ended('steady')).lastAttempt).toMatchObject({ status: RunStatus.SUCCEEDED });
      if (round === 2 || round === 3) expect((await ended('broken')).lastAttempt).toMatchObject({ status: RunStatus.SKIPPED });
    }
    // At 40 s the backoff ended: the second attempt failed too, and that was the last allowed.
    const dead = await deadLetters.next((letter) => letter.task === 'broken');
    expect(dead.attempts).toBe(2);
    expect(dead.lastError).toMatch(/^HANDLER_FAILED from monitor: The handler for test.work.run failed unexpectedly/);
    expect(dead.lastError).not.toContain('internals');
    await unregister('broken');
    await unregister('steady');
  });

  it('pauses (stored, nothing runs) and resumes from now without catching up', async () => {
    await register(task('pausable', { schedule: every(10_000) }));
    const paused = await cli.request(SchedulerTopics.pause, { name: 'pausable' });
    expect(paused.task).toMatchObject({ paused: true });
    expect(paused.task?.nextRunAt).toBeUndefined();
    expect(h.storage.task('pausable')).toMatchObject({ enabled: false });
    expect(h.storage.task('pausable')?.nextRunAt).toBeUndefined();

    await h.clock.advance(35_000);
    expect(await history('pausable')).toEqual([]); // a started run would have queued its history by now

    const now = h.clock.now();
    const resumed = await cli.request(SchedulerTopics.resume, { name: 'pausable' });
    expect(resumed.task).toMatchObject({ paused: false });
    expect(ms(resumed.task?.nextRunAt)).toBe(now + 10_000);
    expect(h.storage.task('pausable')).toMatchObject({ enabled: true });
    await h.clock.advance(10_000);
    expect((await ended('pausable')).lastAttempt).toMatchObject({ status: RunStatus.SUCCEEDED, trigger: RunTrigger.SCHEDULE });
    expect(await history('pausable')).toHaveLength(1);
    await unregister('pausable');
  });

  it('after a restart keeps the registrations, catches up once (run-once) or records the skip (skip), and marks cut-off attempts', async () => {
    await register(task('catch-up', { missedRunPolicy: MissedRunPolicy.RUN_ONCE }));
    await register(task('no-catch-up', { missedRunPolicy: MissedRunPolicy.SKIP }));
    await register(task('dormant', { missedRunPolicy: MissedRunPolicy.RUN_ONCE }));
    await cli.request(SchedulerTopics.pause, { name: 'dormant' });
    worker.behaviour.set('cut-off', 'hang');
    await register(task('cut-off', { timeoutMs: 600_000 }));
    await cli.request(SchedulerTopics.trigger, { name: 'cut-off' });
    await requestFor('cut-off');
    const due = ms((await listed('catch-up'))?.nextRunAt)!;

    await h.scheduler.stop('restart test');
    // Down for three occurrences of the hourly tasks.
    await h.clock.advanceTo(due + 2 * HOUR + 1_000);
    expect(h.clock.pending()).toEqual([]); // the stopped scheduler left no timer behind
    await h.restart();

    const caughtUp = (await ended('catch-up')).lastAttempt!;
    expect(caughtUp).toMatchObject({ status: RunStatus.SUCCEEDED, trigger: RunTrigger.MISSED, attempt: 1 });
    expect(ms(caughtUp.scheduledFor)).toBe(due);
    const skipped = (await ended('no-catch-up')).lastAttempt!;
    expect(skipped).toMatchObject({ status: RunStatus.SKIPPED, trigger: RunTrigger.MISSED });
    expect(skipped.error).toBe(`3 occurrences from ${new Date(due).toISOString()} missed while the scheduler was not running; the missed-run policy is skip.`);
    await requestFor('catch-up');
    expect(worker.requests.pending.filter((request) => ['catch-up', 'no-catch-up', 'dormant'].includes(request.payload.target))).toEqual([]);

    const tasks = (await cli.request(SchedulerTopics.list, {})).tasks;
    expect(tasks.map((info) => [info.definition?.name, info.owner, info.paused])).toEqual([
      ['catch-up', 'monitor', false],
      ['cut-off', 'monitor', false],
      ['dormant', 'monitor', true],
      ['no-catch-up', 'monitor', false],
    ]);
    // The schedule keeps its phase: the next occurrence is on the old hourly grid.
    expect(ms(tasks[0]!.nextRunAt)).toBe(due + 3 * HOUR);
    const cut = (await history('cut-off')).filter((entry) => entry.trigger === RunTrigger.MANUAL);
    expect(cut).toEqual([
      expect.objectContaining({ status: RunStatus.INTERRUPTED, attempt: 1, error: expect.stringContaining('stopped during this attempt') }),
    ]);
    worker.release();
  });
});
