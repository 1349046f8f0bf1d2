// MonitorJobs against a monitor that restarts: the bus is faked at the edge (requests answered by a scripted monitor,
// job and lifecycle events delivered by hand), so what the models service does when a monitor it has not heard
// before announces itself is checked step by step. The real monitor is in e2e/models/admission.e2e-spec.ts.
import { create } from '@bufbuild/protobuf';
import type { BusClient } from '@aico/bus';
import { JobClass, JobState, JobStatusSchema, MonitorTopics, SystemTopics, type JobStatus } from '@aico/contracts';
import { captureLogger } from '@aico/logging';
import { MonitorJobs, type JobListener } from './monitor-jobs';

const INSTANCE = 'models-1';

type Handler = (event: { source: string; payload: unknown }) => void;

/** The bus as MonitorJobs uses it: subscriptions, and requests answered by `answer`. */
class ScriptedBus {
  readonly submits: string[] = [];
  readonly requests: { topic: string; payload: { id?: string } }[] = [];
  /** How the monitor answers a job submit. */
  submitState = JobState.QUEUED;
  private readonly handlers = new Map<string, Handler[]>();

  subscribe(definition: { topic: string }, handler: Handler): () => void {
    this.handlers.set(definition.topic, [...(this.handlers.get(definition.topic) ?? []), handler]);
    return () => undefined;
  }

  request(definition: { topic: string }, payload: { id?: string }): Promise<unknown> {
    this.requests.push({ topic: definition.topic, payload });
    if (definition.topic === MonitorTopics.jobSubmit.topic) {
      this.submits.push(payload.id ?? '');
      return Promise.resolve({ job: job(payload.id ?? '', this.submitState) });
    }
    return Promise.resolve({});
  }

  emit(definition: { topic: string }, source: string, payload: unknown): void {
    for (const handler of this.handlers.get(definition.topic) ?? []) handler({ source, payload });
  }

  monitorReady(instanceId: string): void {
    this.emit(SystemTopics.serviceReady, 'monitor', { service: 'monitor', instanceId });
  }
}

function job(id: string, state: JobState, queuePosition = state === JobState.QUEUED ? 1 : 0): JobStatus {
  return create(JobStatusSchema, { id, jobClass: JobClass.LLM, state, submitter: 'models', submitterInstanceId: INSTANCE, reason: 'scripted', queuePosition });
}

class HeardListener implements JobListener {
  readonly heard: string[] = [];
  waiting(position: number): void {
    this.heard.push(`waiting ${position}`);
  }
  admitted(): void {
    this.heard.push('admitted');
  }
  paused(): void {
    this.heard.push('paused');
  }
  resumed(): void {
    this.heard.push('resumed');
  }
  cancelled(): void {
    this.heard.push('cancelled');
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

function setUp() {
  const bus = new ScriptedBus();
  // The edge of this unit: MonitorJobs only subscribes and requests.
  const jobs = new MonitorJobs(bus as unknown as BusClient, { leaseMs: 60_000, submitTimeoutMs: 1_000 }, INSTANCE, captureLogger('models').logger);
  return { bus, jobs, listener: new HeardListener() };
}

describe('MonitorJobs when a monitor starts', () => {
  it('submits a waiting job again to a monitor it never heard announce itself (the service started after the first one)', async () => {
    const { bus, jobs, listener } = setUp();
    bus.submitState = JobState.PAUSED;
    const ticket = await jobs.submit({ id: 'g1', jobClass: JobClass.LLM, priority: 0, kind: 'llm.generate' }, listener);
    expect(listener.heard).toEqual(['waiting 0']);

    // The monitor that held it stopped; a new one starts, knowing nothing of g1.
    bus.submitState = JobState.RUNNING;
    bus.monitorReady('monitor-2');
    await flush();
    expect(bus.submits).toEqual(['g1', 'g1']);
    expect(listener.heard).toEqual(['waiting 0', 'admitted']);
    expect(ticket.state).toBe('running');

    // The same instance announcing itself again changes nothing.
    bus.monitorReady('monitor-2');
    await flush();
    expect(bus.submits).toEqual(['g1', 'g1']);
  });

  it('puts a job paused while running back in line at a new monitor, and resumes it (not admits it again) when admitted', async () => {
    const { bus, jobs, listener } = setUp();
    bus.submitState = JobState.RUNNING;
    const ticket = await jobs.submit({ id: 'g2', jobClass: JobClass.BACKGROUND, priority: 0, kind: 'llm.generate' }, listener);
    bus.emit(MonitorTopics.jobPaused, 'monitor', { job: job('g2', JobState.RUNNING), reason: 'the user is active' });
    expect(listener.heard).toEqual(['admitted', 'paused']);
    expect(ticket.pauseAdvised).toBe(true);

    // Restarted, the monitor would never send the "resumed" the generation waits for: it is submitted again.
    bus.submitState = JobState.QUEUED;
    bus.monitorReady('monitor-2');
    await flush();
    expect(bus.submits).toEqual(['g2', 'g2']);
    expect(ticket).toMatchObject({ state: 'waiting', pauseAdvised: true });
    expect(listener.heard).toEqual(['admitted', 'paused', 'waiting 1']);

    bus.emit(MonitorTopics.jobAdmitted, 'monitor', { job: job('g2', JobState.RUNNING), reason: 'a slot is free' });
    expect(listener.heard).toEqual(['admitted', 'paused', 'waiting 1', 'resumed']);
    expect(ticket).toMatchObject({ state: 'running', pauseAdvised: false });

    // Ending it now completes it at the new monitor (it runs there).
    await ticket.complete(true);
    expect(bus.requests.at(-1)).toMatchObject({ topic: MonitorTopics.jobComplete.topic, payload: { id: 'g2' } });
  });

  it('leaves a running job that was not paused alone (it renews, or learns the monitor forgot it)', async () => {
    const { bus, jobs, listener } = setUp();
    bus.submitState = JobState.RUNNING;
    const ticket = await jobs.submit({ id: 'g3', jobClass: JobClass.LLM, priority: 0, kind: 'llm.generate' }, listener);
    bus.monitorReady('monitor-2');
    await flush();
    expect(bus.submits).toEqual(['g3']);
    expect(ticket.state).toBe('running');
    await ticket.complete(true);
  });
});
