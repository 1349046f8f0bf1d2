// The monitor app through its bus contract: the real app in this process behind a real CURVE proxy, sampling this
// machine with the real systeminformation probe and the real idle-time probes. The policy is configured so that this
// machine is deterministically constrained (every share of memory is "too little": a 100 % minimum) and never
// critical (the CPU rules are off at 100 %), so admission can be checked through the bus without faking a reading.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { BusErrorCode, type IncomingMessage } from '@aico/bus';
import { nextValue, requestWhenRoutable, TestBus, type TestClient } from '@aico/bus/testing';
import {
  ActivityKind,
  HealthStatus,
  JobClass,
  JobState,
  LogLevel,
  MonitorTopics,
  ResourceState,
  SystemTopics,
  type JobDecision,
  type LogEntry,
  type ResourceSample,
  type ResourceStateChanged,
} from '@aico/contracts';
import { runService, type RunningService } from '@aico/service';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { MonitorAppModule } from './monitor-app.module';
import { monitorConfigSchema } from './monitor.config';
import { SIGNAL_TIMEOUT_MS } from './monitor.test-helpers';

/** What Linux itself says: a power supply of type Battery that powers the system (not a mouse's). */
function linuxHasSystemBattery(): boolean {
  const root = '/sys/class/power_supply';
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return false;
  }
  const read = (name: string, file: string) => {
    try {
      return readFileSync(join(root, name, file), 'utf8').trim();
    } catch {
      return '';
    }
  };
  return names.some((name) => read(name, 'type') === 'Battery' && read(name, 'scope') !== 'Device');
}

/** Everything one client hears under a prefix, so a test can wait for the message it expects. */
class Heard {
  readonly messages: IncomingMessage[] = [];
  private waiters: { readonly match: (message: IncomingMessage) => boolean; readonly resolve: (message: IncomingMessage) => void }[] = [];

  constructor(client: TestClient, prefix: string) {
    client.subscribePrefix(prefix, (message) => {
      this.messages.push(message);
      this.waiters = this.waiters.filter((waiter) => (waiter.match(message) ? (waiter.resolve(message), false) : true));
    });
  }

  /** The first message (already heard or still to come) on `topic` whose payload passes `match`. */
  first<T>(topic: string, match: (payload: T) => boolean = () => true, what = topic): Promise<T> {
    const test = (message: IncomingMessage) => message.topic === topic && match(message.payload as T);
    const seen = this.messages.find(test);
    if (seen) return Promise.resolve(seen.payload as T);
    return nextValue<IncomingMessage>((deliver) => this.waiters.push({ match: test, resolve: deliver }), SIGNAL_TIMEOUT_MS, what).then(
      (message) => message.payload as T,
    );
  }
}

describe('monitor app contract', () => {
  let environment: ServiceTestEnvironment;
  let bus: TestBus;
  let running: RunningService;
  let scheduler: TestClient;
  let gateway: TestClient;
  let heard: Heard;
  let logs: Heard;
  let firstState: Promise<ResourceStateChanged>;
  let child: ChildProcess;

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('ipc', {
      AICO_LOG__LEVEL: 'info',
      AICO_LOG__FILE: 'false',
      // The app's own wait for its bus client to be ready is a deadline a loaded machine could exhaust: the signal's.
      AICO_BUS__READY_TIMEOUT_MS: String(SIGNAL_TIMEOUT_MS),
      AICO_MONITOR__SAMPLE_INTERVAL_MS: '200',
      AICO_MONITOR__PUBLISH_INTERVAL_MS: '200',
      AICO_MONITOR__PROCESS_INTERVAL_MS: '400',
      AICO_MONITOR__POLICY__MAX_CPU_PERCENT: '100',
      AICO_MONITOR__POLICY__CRITICAL_CPU_PERCENT: '100',
      AICO_MONITOR__POLICY__MIN_AVAILABLE_MEMORY_PERCENT: '100',
      AICO_MONITOR__POLICY__CRITICAL_AVAILABLE_MEMORY_PERCENT: '0',
      AICO_MONITOR__POLICY__ENTER_AFTER_SAMPLES: '1',
      AICO_MONITOR__JOBS__CONSTRAINED_CONCURRENCY: '1',
    });
    bus = await new TestBus({ transport: 'ipc', keys: environment.keys }).start();
    const env = { ...environment.env, AICO_BUS__PUBLISH_ENDPOINT: bus.publishEndpoint, AICO_BUS__SUBSCRIBE_ENDPOINT: bus.subscribeEndpoint };
    const watcher = await bus.connected('supervisor');
    heard = new Heard(watcher, 'jobs.');
    logs = new Heard(watcher, SystemTopics.logEntry.topic);
    firstState = nextValue<IncomingMessage>(
      (deliver) => watcher.subscribe(MonitorTopics.resourceState, deliver),
      SIGNAL_TIMEOUT_MS,
      'the first resource state',
    ).then((message) => message.payload as ResourceStateChanged);
    running = await runService({ identity: 'monitor', module: MonitorAppModule, configSchema: monitorConfigSchema, env, exitOnStop: false });
    scheduler = await bus.connected('scheduler');
    gateway = await bus.connected('gateway');
    await requestWhenRoutable((timeoutMs) => scheduler.request(MonitorTopics.resourceStatus, {}, { timeoutMs }));
    // A stand-in for another aico process, so the monitor has a second real pid to find.
    child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  });
  afterAll(async () => {
    child?.kill();
    await running?.stop('test finished');
    await bus?.stop();
    await environment?.cleanup();
  });

  const nextSample = (match: (sample: ResourceSample) => boolean, what: string) =>
    nextValue<ResourceSample>(
      (deliver) => {
        const stop = scheduler.subscribe(MonitorTopics.resourceSample, (message) => {
          if (match(message.payload)) {
            stop();
            deliver(message.payload);
          }
        });
      },
      SIGNAL_TIMEOUT_MS,
      what,
    );

  it('publishes samples of this machine: CPU, memory, load average, and whether it has a battery (this machine: none)', async () => {
    const sample = await nextSample((candidate) => candidate.cpu !== undefined, 'a sample');
    expect(sample.battery).toMatchObject({ hasBattery: linuxHasSystemBattery(), sampledAt: expect.anything() });
    if (!sample.battery!.hasBattery) expect(sample.battery).toMatchObject({ percent: 0, acConnected: true, charging: false, minutesRemaining: 0 });
    expect(sample.cpu!.cores).toBe(cpus().length);
    expect(sample.cpu!.loadPercent).toBeGreaterThanOrEqual(0);
    expect(sample.cpu!.loadPercent).toBeLessThanOrEqual(100);
    expect(sample.memory!.totalBytes).toBe(BigInt(totalmem()));
    expect(sample.memory!.availableBytes).toBeGreaterThan(0n);
    expect(sample.memory!.availableBytes).toBeLessThanOrEqual(sample.memory!.totalBytes);
    expect(sample.loadAverage).toMatchObject({ available: process.platform !== 'win32' });
  });

  it('reports the usage of aico processes, found by the pids their heartbeats carry', async () => {
    const own = await nextSample((sample) => sample.processes.some((process) => process.service === 'monitor' && process.found), 'the monitor’s own process');
    expect(own.processes.find((process) => process.service === 'monitor')).toMatchObject({
      pid: process.pid,
      instanceId: running.info.instanceId,
      found: true,
    });
    expect(own.processes.find((process) => process.service === 'monitor')!.rssBytes).toBeGreaterThan(10_000_000n);

    const beat = { service: 'scheduler', instanceId: 'sched-1', status: HealthStatus.OK, intervalMs: 5_000, process: { pid: child.pid! } };
    await scheduler.publish(SystemTopics.heartbeat, beat);
    const withChild = await nextSample((sample) => sample.processes.some((process) => process.pid === child.pid && process.found), 'the other process');
    expect(withChild.processes.find((process) => process.pid === child.pid)).toMatchObject({ service: 'scheduler', instanceId: 'sched-1', found: true });
    // A service may not speak for another: a heartbeat naming "keys" from the scheduler is ignored.
    await scheduler.publish(SystemTopics.heartbeat, { ...beat, service: 'keys', instanceId: 'fake-keys' });
    await scheduler.publish(SystemTopics.serviceStopping, { service: 'scheduler', instanceId: 'sched-1', reason: 'test' });
    const after = await nextSample((sample) => !sample.processes.some((process) => process.instanceId === 'sched-1'), 'a sample without the stopped process');
    expect(after.processes.map((process) => process.service)).toEqual(['monitor']);
  });

  it('announces its resource state at start, with the rule that holds (here: memory, by configuration)', async () => {
    const state = await firstState;
    expect(state).toMatchObject({
      state: ResourceState.CONSTRAINED,
      previous: ResourceState.UNSPECIFIED,
      reason: expect.stringMatching(/^constrained: available memory [\d.]+%, below 100%$/),
    });
    expect(state.conditions.map((condition) => [condition.code, condition.level, condition.threshold])).toEqual([
      ['memory_low', ResourceState.CONSTRAINED, 100],
    ]);
    const status = await scheduler.request(MonitorTopics.resourceStatus, {});
    expect(status).toMatchObject({ state: ResourceState.CONSTRAINED, stateSince: expect.anything(), sample: { memory: expect.anything() } });
    // Its memory limits, for services that keep their own memory use inside them (the models service's fit check).
    expect(status.memoryLimits).toMatchObject({ constrainedAvailablePercent: 100, criticalAvailablePercent: 0 });
  });

  it('admits jobs over the bus: llm in the one constrained slot, the next queued, background paused with the reason, interactive at once', async () => {
    const first = await scheduler.request(MonitorTopics.jobSubmit, { id: 'llm-1', jobClass: JobClass.LLM, priority: 1, kind: 'llm.summarize' });
    expect(first.job).toMatchObject({ id: 'llm-1', state: JobState.RUNNING, submitter: 'scheduler', submitterInstanceId: scheduler.toJSON().instanceId });
    expect((await heard.first<JobDecision>(MonitorTopics.jobAdmitted.topic, (event) => event.job!.id === 'llm-1')).reason).toBe('a slot is free');

    const second = await scheduler.request(MonitorTopics.jobSubmit, { id: 'llm-2', jobClass: JobClass.LLM, kind: 'llm.embed' });
    expect(second.job).toMatchObject({ state: JobState.QUEUED, queuePosition: 1 });

    const background = await scheduler.request(MonitorTopics.jobSubmit, { id: 'bg-1', jobClass: JobClass.BACKGROUND, kind: 'memory.consolidate' });
    expect(background.job).toMatchObject({ state: JobState.PAUSED, reason: expect.stringMatching(/^resources are constrained: available memory/) });
    expect((await heard.first<JobDecision>(MonitorTopics.jobPaused.topic, (event) => event.job!.id === 'bg-1')).job).toMatchObject({ state: JobState.PAUSED });

    const chat = await gateway.request(MonitorTopics.jobSubmit, { id: 'chat-1', jobClass: JobClass.INTERACTIVE, kind: 'conversation.reply' });
    expect(chat.job).toMatchObject({ state: JobState.RUNNING, reason: 'interactive work is admitted at once' });

    const listed = await scheduler.request(MonitorTopics.queueList, {});
    expect(listed.jobs.map((job) => [job.id, job.state])).toEqual([
      ['llm-1', JobState.RUNNING],
      ['chat-1', JobState.RUNNING],
      ['llm-2', JobState.QUEUED],
      ['bg-1', JobState.PAUSED],
    ]);
    expect(listed.admission).toMatchObject({ resourceState: ResourceState.CONSTRAINED, concurrency: 1, running: 2, queued: 1, paused: 1, llmHolds: [] });
    expect(listed.admission!.backgroundHolds).toEqual([expect.stringMatching(/^resources are constrained: available memory/)]);
  });

  it('completing frees the slot for the next job; only the submitter completes; an operator cancels; errors are typed', async () => {
    await expect(gateway.request(MonitorTopics.jobComplete, { id: 'llm-1', succeeded: true })).rejects.toMatchObject({
      code: 'JOBS_NOT_PERMITTED',
      source: 'monitor',
    });
    // Streaming work renews its lease while it runs; only its submitter may.
    expect((await scheduler.request(MonitorTopics.jobRenew, { id: 'llm-1', leaseMs: 0 })).job).toMatchObject({ id: 'llm-1', state: JobState.RUNNING });
    await expect(gateway.request(MonitorTopics.jobRenew, { id: 'llm-1', leaseMs: 0 })).rejects.toMatchObject({ code: 'JOBS_NOT_PERMITTED', source: 'monitor' });
    const done = await scheduler.request(MonitorTopics.jobComplete, { id: 'llm-1', succeeded: true });
    expect(done.job).toMatchObject({ state: JobState.SUCCEEDED, reason: 'completed by scheduler' });
    expect((await heard.first<JobDecision>(MonitorTopics.jobFinished.topic, (event) => event.job!.id === 'llm-1')).job!.state).toBe(JobState.SUCCEEDED);
    expect((await heard.first<JobDecision>(MonitorTopics.jobAdmitted.topic, (event) => event.job!.id === 'llm-2')).job!.state).toBe(JobState.RUNNING);

    const cli = await bus.connected('cli');
    const cancelled = await cli.request(MonitorTopics.jobCancel, { id: 'bg-1', reason: 'not tonight' });
    expect(cancelled.job).toMatchObject({ state: JobState.CANCELLED, reason: 'cancelled by cli: not tonight' });
    expect(await heard.first<JobDecision>(MonitorTopics.jobCancelled.topic, (event) => event.job!.id === 'bg-1')).toMatchObject({
      reason: 'cancelled by cli: not tonight',
    });

    await expect(scheduler.request(MonitorTopics.jobCancel, { id: 'no-such-job' })).rejects.toMatchObject({ code: 'JOBS_UNKNOWN_JOB' });
    await expect(scheduler.request(MonitorTopics.jobSubmit, { id: 'x', jobClass: JobClass.UNSPECIFIED })).rejects.toMatchObject({
      code: 'JOBS_INVALID_ARGUMENT',
    });
  });

  it('logs every admission decision with its reason (published on the bus like every log line)', async () => {
    const line = await logs.first<LogEntry>(
      SystemTopics.logEntry.topic,
      (entry) => entry.service === 'monitor' && entry.message.startsWith('Job paused: resources are constrained'),
    );
    expect(line).toMatchObject({ level: LogLevel.INFO, context: 'JobAdmission' });
    expect(JSON.parse(line.fieldsJson)).toMatchObject({ jobId: 'bg-1', jobClass: 'background', submitter: 'scheduler', decision: 'paused' });
  });

  it('takes user activity from the gateway, only from the gateway, and holds background work for it', async () => {
    await gateway.publish(MonitorTopics.activityReported, { kind: ActivityKind.INPUT, occurredAt: timestampFromMs(Date.now()), client: 'web:test' });
    const active = await eventually(async () => {
      const status = await scheduler.request(MonitorTopics.resourceStatus, {});
      return status.activity?.userActive ? status : undefined;
    });
    expect(active.activity).toMatchObject({ activeClients: ['web:test'], reason: expect.stringContaining('from front end web:test') });
    const listed = await scheduler.request(MonitorTopics.queueList, { states: [JobState.RUNNING] });
    expect(listed.admission!.userActive).toBe(true);
    expect(listed.admission!.backgroundHolds).toEqual([
      expect.stringMatching(/^resources are constrained/),
      expect.stringMatching(/^the user is active: last activity \d+ s ago, from front end web:test$/),
    ]);
    expect(() => scheduler.publish(MonitorTopics.activityReported, { kind: ActivityKind.INPUT, client: 'forged' })).toThrow(
      expect.objectContaining({ code: BusErrorCode.NotPermitted }),
    );
  });

  it('says whether the OS idle time can be read here, and why not when it cannot (logged once)', async () => {
    const status = await eventually(async () => {
      const reply = await scheduler.request(MonitorTopics.resourceStatus, {});
      return reply.activity!.osIdleProblem === 'not read yet' ? undefined : reply;
    });
    const activity = status.activity!;
    if (activity.osIdleAvailable) {
      expect(activity).toMatchObject({ osIdleProbe: expect.stringMatching(/^(loginctl|xprintidle|ioreg|powershell GetLastInputInfo)$/), osIdleProblem: '' });
    } else {
      // This machine (a container: no systemd session, no X server) has none: every probe tried is named with its reason.
      expect(activity.osIdleProbe).toBe('');
      if (process.platform === 'linux') expect(activity.osIdleProblem).toMatch(/^loginctl: .+; xprintidle: .+$/);
      const warnings = await eventually(async () => {
        const found = logs.messages
          .map((message) => message.payload as LogEntry)
          .filter((entry) => entry.service === 'monitor' && entry.message.startsWith('The OS idle time cannot be read here'));
        return found.length > 0 ? found : undefined;
      });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ level: LogLevel.WARN, message: expect.stringContaining(activity.osIdleProblem) });
    }
  });
});

/** Polls until `probe` returns a value: for state that the monitor reaches on its own schedule. */
async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = SIGNAL_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
