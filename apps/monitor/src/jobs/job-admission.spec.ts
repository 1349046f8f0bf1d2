import { create } from '@bufbuild/protobuf';
import { JobClass, JobState, ResourceState, SubmitJobRequestSchema, type SubmitJobRequest } from '@aico/contracts';
import type { UserActivity } from '../activity/activity-tracker';
import { ManualClock, monitorSettings, RecordingAnnouncer, settle } from '../monitor.test-helpers';
import type { JobSettings } from '../monitor.config';
import { JobAdmission, type AdmissionInputs } from './job-admission';

const { INTERACTIVE, LLM, BACKGROUND } = JobClass;
const idle: UserActivity = { active: false, reason: 'the user has been idle for 10 min', lastActivityAtMs: 0 };
const normal: AdmissionInputs = {
  resourceState: ResourceState.NORMAL,
  resourceReason: 'normal: every resource within its limits',
  backgroundConditions: [],
  userActivity: idle,
};
const constrained: AdmissionInputs = { ...normal, resourceState: ResourceState.CONSTRAINED, resourceReason: 'constrained: available memory 9%, below 15%' };
const critical: AdmissionInputs = { ...normal, resourceState: ResourceState.CRITICAL, resourceReason: 'critical: CPU 99% busy, above 97%' };
const userActive: AdmissionInputs = {
  ...normal,
  userActivity: { active: true, reason: 'the user is active: last activity 3 s ago, from front end web', lastActivityAtMs: 0 },
};

function job(id: string, jobClass: JobClass, priority = 0, leaseMs = 0): SubmitJobRequest {
  return create(SubmitJobRequestSchema, { id, jobClass, priority, kind: `test.${id}`, leaseMs });
}

function newTestAdmission(jobs: Partial<JobSettings> = {}) {
  const clock = new ManualClock();
  const announcer = new RecordingAnnouncer();
  const sut = new JobAdmission(monitorSettings({ jobs }).jobs, clock, announcer);
  sut.update(normal);
  const submit = (request: SubmitJobRequest, submitter = 'scheduler') => sut.submit(request, submitter, `${submitter}-instance`);
  const complete = async (id: string, submitter = 'scheduler') => {
    const status = sut.complete({ id, succeeded: true, error: '' } as never, submitter);
    await settle();
    return status;
  };
  const states = () => Object.fromEntries(sut.list({ states: [], submitter: '' } as never).jobs.map((status) => [status.id, JobState[status.state]]));
  return { sut, clock, announcer, submit, complete, states };
}

describe('job admission', () => {
  it('admits llm jobs before background ones, each class by priority, then in arrival order', async () => {
    const { submit, complete, announcer } = newTestAdmission({ normalConcurrency: 1 });
    submit(job('first', BACKGROUND));
    expect(announcer.take()).toEqual(['admitted first']);
    for (const [id, jobClass, priority] of [
      ['bg-low', BACKGROUND, 0],
      ['llm-low', LLM, -5],
      ['bg-high', BACKGROUND, 10],
      ['llm-high', LLM, 5],
      ['bg-low-2', BACKGROUND, 0],
    ] as const) {
      expect(submit(job(id, jobClass, priority)).state).toBe(JobState.QUEUED);
    }
    expect(announcer.take()).toEqual(['queued bg-low', 'queued llm-low', 'queued bg-high', 'queued llm-high', 'queued bg-low-2']);
    const order: string[] = [];
    let running = 'first';
    for (let i = 0; i < 5; i++) {
      await complete(running);
      running = announcer.jobs.find((announcement) => announcement.decision === 'admitted')!.job.id;
      order.push(running);
      announcer.take();
    }
    expect(order).toEqual(['llm-high', 'llm-low', 'bg-high', 'bg-low', 'bg-low-2']);
  });

  it('answers a submit with the job queued and its place in the queue', () => {
    const { sut, submit } = newTestAdmission({ normalConcurrency: 1 });
    submit(job('running', LLM));
    submit(job('b', BACKGROUND, 1));
    const c = submit(job('c', LLM, 0));
    expect(c).toMatchObject({
      state: JobState.QUEUED,
      queuePosition: 1,
      reason: 'waiting for a slot',
      submitter: 'scheduler',
      submitterInstanceId: 'scheduler-instance',
    });
    expect(sut.list({ states: [JobState.QUEUED], submitter: '' } as never).jobs.map((status) => [status.id, status.queuePosition])).toEqual([
      ['c', 1],
      ['b', 2],
    ]);
  });

  it('admits interactive jobs at once, even with every slot taken and resources critical', () => {
    const { sut, submit, announcer } = newTestAdmission({ criticalConcurrency: 1 });
    sut.update(critical);
    submit(job('held-llm', LLM));
    const status = submit(job('chat', INTERACTIVE));
    expect(status).toMatchObject({ state: JobState.RUNNING, reason: 'interactive work is admitted at once' });
    expect(announcer.take()).toEqual(['paused held-llm', 'admitted chat']);
    expect(sut.status()).toMatchObject({ running: 1, paused: 1, concurrency: 1, llmHolds: ['resources are critical: CPU 99% busy, above 97%'] });
  });

  it('concurrency follows the resource state: fewer slots when constrained, more again when normal', async () => {
    const { sut, submit, complete, states, announcer } = newTestAdmission({ normalConcurrency: 2, constrainedConcurrency: 1 });
    for (const id of ['a', 'b', 'c', 'd']) submit(job(id, LLM));
    expect(states()).toEqual({ a: 'RUNNING', b: 'RUNNING', c: 'QUEUED', d: 'QUEUED' });
    sut.update(constrained);
    expect(announcer.admissions.at(-1)).toMatchObject({ status: { concurrency: 1 }, reason: expect.stringContaining('slots 2 → 1 (resources constrained)') });
    await complete('a');
    expect(states()).toMatchObject({ b: 'RUNNING', c: 'QUEUED', d: 'QUEUED' }); // one running is the new limit
    sut.update(normal);
    await settle();
    expect(states()).toMatchObject({ b: 'RUNNING', c: 'RUNNING', d: 'QUEUED' });
  });

  describe('background jobs are held, and resume after', () => {
    it('while the user is active: queued ones pause, running ones are advised to pause; idle again, both resume', async () => {
      const { sut, submit, states, announcer } = newTestAdmission({ normalConcurrency: 1 });
      submit(job('bg-running', BACKGROUND));
      submit(job('bg-waiting', BACKGROUND));
      announcer.take();
      sut.update(userActive);
      expect(states()).toEqual({ 'bg-running': 'RUNNING', 'bg-waiting': 'PAUSED' });
      const [advised, paused] = announcer.jobs.splice(0);
      expect(paused).toMatchObject({
        decision: 'paused',
        job: { id: 'bg-waiting', state: JobState.PAUSED, reason: userActive.userActivity.reason },
        reason: userActive.userActivity.reason,
      });
      expect(advised).toMatchObject({
        decision: 'paused',
        job: { id: 'bg-running', state: JobState.RUNNING, pauseAdvised: true },
        reason: `asked to pause at a safe point: ${userActive.userActivity.reason}`,
      });
      expect(announcer.admissions.at(-1)!.reason).toBe(`background work held: ${userActive.userActivity.reason}`);
      // Submitted while held: paused at once, with the reason.
      expect(submit(job('bg-new', BACKGROUND))).toMatchObject({ state: JobState.PAUSED, reason: userActive.userActivity.reason });
      // An llm job is not held by user activity.
      expect(submit(job('llm', LLM, 0)).state).toBe(JobState.QUEUED);
      announcer.take();

      sut.update(normal);
      await settle();
      expect(announcer.take()).toEqual(['resumed bg-running', 'resumed bg-waiting', 'queued bg-waiting', 'resumed bg-new', 'queued bg-new']);
      expect(sut.list({ states: [], submitter: '' } as never).jobs.find((status) => status.id === 'bg-running')).toMatchObject({ pauseAdvised: false });
      expect(announcer.admissions.at(-1)!.reason).toBe('background work released: nothing holds it any more');
      expect(states()).toEqual({ 'bg-running': 'RUNNING', llm: 'QUEUED', 'bg-waiting': 'QUEUED', 'bg-new': 'QUEUED' });
    });

    it('while resources are constrained, and on battery below the background minimum', () => {
      const { sut, submit } = newTestAdmission();
      sut.update(constrained);
      expect(submit(job('bg-1', BACKGROUND))).toMatchObject({ state: JobState.PAUSED, reason: 'resources are constrained: available memory 9%, below 15%' });
      sut.update({ ...normal, backgroundConditions: ['on battery at 40%, below the 50% background work needs'] });
      expect(sut.list({ states: [], submitter: '' } as never).jobs[0]).toMatchObject({
        state: JobState.PAUSED,
        reason: 'on battery at 40%, below the 50% background work needs',
      });
      expect(sut.status().backgroundHolds).toEqual(['on battery at 40%, below the 50% background work needs']);
      sut.update(normal);
      expect(sut.list({ states: [], submitter: '' } as never).jobs[0]!.state).toBe(JobState.RUNNING);
    });

    it('llm jobs wait only while resources are critical (unless configured otherwise)', () => {
      const held = newTestAdmission();
      held.sut.update(critical);
      expect(held.submit(job('llm', LLM)).state).toBe(JobState.PAUSED);
      held.sut.update(constrained);
      expect(held.states()).toEqual({ llm: 'RUNNING' });

      const notHeld = newTestAdmission({ holdLlmWhenCritical: false });
      notHeld.sut.update(critical);
      expect(notHeld.submit(job('llm', LLM)).state).toBe(JobState.RUNNING);
    });
  });

  describe('cancel', () => {
    it('takes a queued job out of the queue; the others keep their order', async () => {
      const { submit, sut, complete, announcer } = newTestAdmission({ normalConcurrency: 1 });
      for (const id of ['run', 'a', 'b', 'c']) submit(job(id, LLM));
      announcer.take();
      expect(sut.cancel('b', 'not needed', 'scheduler')).toMatchObject({ state: JobState.CANCELLED, reason: 'cancelled by scheduler: not needed' });
      expect(announcer.take()).toEqual(['cancelled b']);
      expect(sut.list({ states: [JobState.QUEUED], submitter: '' } as never).jobs.map((status) => [status.id, status.queuePosition])).toEqual([
        ['a', 1],
        ['c', 2],
      ]);
      await complete('run');
      await complete('a');
      expect(announcer.take()).toEqual(['finished run', 'admitted a', 'finished a', 'admitted c']);
    });

    it('frees a running job’s slot at once, and announces it so the runner stops', async () => {
      const { submit, sut, states, announcer } = newTestAdmission({ normalConcurrency: 1 });
      submit(job('run', BACKGROUND));
      submit(job('next', BACKGROUND));
      announcer.take();
      sut.cancel('run', 'user asked', 'gateway');
      await settle();
      expect(announcer.take()).toEqual(['cancelled run', 'admitted next']);
      expect(states()).toMatchObject({ next: 'RUNNING', run: 'CANCELLED' });
    });

    it('removes a paused job; cancelling again answers the same; only the submitter or an operator may', () => {
      const { submit, sut } = newTestAdmission();
      sut.update(userActive);
      submit(job('paused', BACKGROUND));
      expect(() => sut.cancel('paused', '', 'storage')).toThrow(
        expect.objectContaining({ code: 'JOBS_NOT_PERMITTED', message: expect.stringContaining('only it or an operator (cli, supervisor, gateway)') }),
      );
      expect(sut.cancel('paused', '', 'cli')).toMatchObject({ state: JobState.CANCELLED, reason: 'cancelled by cli' });
      expect(sut.cancel('paused', 'again', 'cli')).toMatchObject({ state: JobState.CANCELLED, reason: 'cancelled by cli' });
      sut.update(normal);
      expect(sut.status()).toMatchObject({ running: 0, queued: 0, paused: 0 });
      expect(() => sut.cancel('nope', '', 'cli')).toThrow(expect.objectContaining({ code: 'JOBS_UNKNOWN_JOB' }));
    });

    it('cancels the jobs of a submitter that stopped', () => {
      const { submit, sut, states } = newTestAdmission({ normalConcurrency: 1 });
      submit(job('mine-1', LLM));
      submit(job('mine-2', LLM));
      submit(job('theirs', LLM), 'gateway');
      expect(sut.submitterStopped('scheduler-instance', 'scheduler')).toBe(2);
      expect(states()).toMatchObject({ 'mine-1': 'CANCELLED', 'mine-2': 'CANCELLED', theirs: 'QUEUED' });
    });
  });

  describe('complete and leases', () => {
    it('only the submitter completes, only a running job, and a retried complete gets the same answer', async () => {
      const { submit, sut, complete } = newTestAdmission({ normalConcurrency: 1 });
      submit(job('run', LLM));
      submit(job('wait', LLM));
      expect(() => sut.complete({ id: 'run', succeeded: true } as never, 'gateway')).toThrow(expect.objectContaining({ code: 'JOBS_NOT_PERMITTED' }));
      expect(() => sut.complete({ id: 'wait', succeeded: true } as never, 'scheduler')).toThrow(expect.objectContaining({ code: 'JOBS_NOT_RUNNING' }));
      const done = await complete('run');
      expect(done).toMatchObject({ state: JobState.SUCCEEDED, reason: 'completed by scheduler', finishedAt: expect.anything() });
      expect(await complete('run')).toMatchObject({ state: JobState.SUCCEEDED });
      const failed = sut.complete({ id: 'wait', succeeded: false, error: `model not loaded\n${'x'.repeat(500)}` } as never, 'scheduler');
      // The caller's text is kept printable and short: it goes into logs and events.
      expect(failed).toMatchObject({ state: JobState.FAILED, reason: expect.stringMatching(/^failed: model not loaded x+…$/) });
      expect(failed.reason.length).toBeLessThanOrEqual('failed: '.length + 200);
    });

    it('takes back the slot of a job not completed within its lease; completing it afterwards is refused', async () => {
      const { submit, sut, clock, announcer, states } = newTestAdmission({ normalConcurrency: 1 });
      submit(job('slow', LLM, 0, 60_000));
      submit(job('next', LLM));
      announcer.take();
      sut.expireLeases(clock.advance(59_999));
      expect(states()).toMatchObject({ slow: 'RUNNING' });
      sut.expireLeases(clock.advance(1));
      await settle();
      expect(announcer.jobs.map((announcement) => [announcement.decision, announcement.job.id, JobState[announcement.job.state]])).toEqual([
        ['cancelled', 'slow', 'EXPIRED'],
        ['admitted', 'next', 'RUNNING'],
      ]);
      expect(() => sut.complete({ id: 'slow', succeeded: true } as never, 'scheduler')).toThrow(
        expect.objectContaining({ code: 'JOBS_ALREADY_FINISHED', message: expect.stringContaining('expired: not completed within its 60000 ms lease') }),
      );
    });

    it('keeps a running job whose submitter renews its lease, and takes the slot back once renewals stop', async () => {
      const { submit, sut, clock, states } = newTestAdmission({ normalConcurrency: 1 });
      submit(job('stream', LLM, 0, 60_000));
      for (let i = 0; i < 3; i++) {
        sut.expireLeases(clock.advance(50_000));
        expect(sut.renew({ id: 'stream', leaseMs: 0 } as never, 'scheduler')).toMatchObject({ state: JobState.RUNNING, leaseMs: 60_000 });
      }
      expect(() => sut.renew({ id: 'stream', leaseMs: 0 } as never, 'gateway')).toThrow(expect.objectContaining({ code: 'JOBS_NOT_PERMITTED' }));
      expect(() => sut.renew({ id: 'stream', leaseMs: 10 } as never, 'scheduler')).toThrow(expect.objectContaining({ code: 'JOBS_INVALID_ARGUMENT' }));
      sut.expireLeases(clock.advance(59_999));
      expect(states()).toMatchObject({ stream: 'RUNNING' });
      sut.expireLeases(clock.advance(1));
      await settle();
      expect(states()).toMatchObject({ stream: 'EXPIRED' });
      expect(() => sut.renew({ id: 'stream', leaseMs: 0 } as never, 'scheduler')).toThrow(expect.objectContaining({ code: 'JOBS_ALREADY_FINISHED' }));
    });
  });

  describe('submissions it refuses', () => {
    it.each([
      ['no id', job('', LLM), 'JOBS_INVALID_ARGUMENT', /"id" is required/],
      ['a control character', job('a\u0007b', LLM), 'JOBS_INVALID_ARGUMENT', /control character/],
      ['no class', job('x', JobClass.UNSPECIFIED), 'JOBS_INVALID_ARGUMENT', /interactive, llm or background/],
      ['a priority out of range', job('x', LLM, 1001), 'JOBS_INVALID_ARGUMENT', /outside -1000..1000/],
      ['a lease too short', job('x', LLM, 0, 10), 'JOBS_INVALID_ARGUMENT', /0 takes the default/],
    ])('%s', (_case, request, code, message) => {
      const { submit } = newTestAdmission();
      expect(() => submit(request)).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
    });

    it('an id in use: the same submission again gets the job as it stands; a different one is refused', () => {
      const { submit, announcer } = newTestAdmission();
      const first = submit(job('same', LLM, 3));
      announcer.take();
      expect(submit(job('same', LLM, 3))).toEqual(first);
      expect(announcer.take()).toEqual([]);
      expect(() => submit(job('same', BACKGROUND, 3))).toThrow(expect.objectContaining({ code: 'JOBS_DUPLICATE_ID' }));
      expect(() => submit(job('same', LLM, 3), 'gateway')).toThrow(expect.objectContaining({ code: 'JOBS_DUPLICATE_ID' }));
    });

    it('more waiting jobs than allowed (interactive jobs never wait, so they still go)', () => {
      const { submit } = newTestAdmission({ normalConcurrency: 1, maxWaiting: 2 });
      submit(job('run', LLM));
      submit(job('w1', LLM));
      submit(job('w2', BACKGROUND));
      expect(() => submit(job('w3', LLM))).toThrow(
        expect.objectContaining({ code: 'JOBS_QUEUE_FULL', message: expect.stringContaining('2 jobs are already waiting') }),
      );
      expect(submit(job('chat', INTERACTIVE)).state).toBe(JobState.RUNNING);
    });
  });

  it('lists running, queued and paused jobs in admission order, then the finished ones newest first, filtered on request', async () => {
    const { submit, sut, complete } = newTestAdmission({ normalConcurrency: 1, finishedHistory: 1 });
    submit(job('done-1', LLM));
    await complete('done-1');
    submit(job('done-2', LLM));
    await complete('done-2');
    submit(job('run', LLM));
    submit(job('q-bg', BACKGROUND, 50));
    submit(job('q-llm', LLM, -50), 'gateway');
    const all = sut.list({ states: [], submitter: '' } as never);
    expect(all.jobs.map((status) => status.id)).toEqual(['run', 'q-llm', 'q-bg', 'done-2']); // history keeps 1
    expect(all.admission).toMatchObject({ resourceState: ResourceState.NORMAL, concurrency: 1, running: 1, queued: 2, paused: 0, userActive: false });
    expect(sut.list({ states: [], submitter: 'gateway' } as never).jobs.map((status) => status.id)).toEqual(['q-llm']);
  });
});
