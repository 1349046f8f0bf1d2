// Job admission. Interactive jobs are admitted at once; llm and background jobs wait in a p-queue (by class, then
// priority, then arrival) whose concurrency follows the resource state. A class that is held (background while
// resources are constrained, on battery below a threshold or while the user is active; llm while critical) is kept
// out of the queue as paused, and its running jobs are advised to pause; when the hold ends they queue again. A
// running job holds its slot until its submitter completes it, someone cancels it, or its lease runs out. Every
// decision goes to the JobAnnouncer with its reason.
import { create } from '@bufbuild/protobuf';
import PQueue from 'p-queue';
import {
  AdmissionStatusSchema,
  JOB_OPERATORS,
  JobClass,
  JobState,
  ResourceState,
  type AdmissionStatus,
  type CompleteJobRequest,
  type JobStatus,
  type ListJobsRequest,
  type RenewJobRequest,
  type SubmitJobRequest,
} from '@aico/contracts';
import type { UserActivity } from '../activity/activity-tracker';
import type { JobSettings } from '../monitor.config';
import type { Clock } from '../monitor.tokens';
import { stateName } from '../resources/resource-policy';
import { checkLease, checkSubmission, className, clipText, isActive, queuePriority, toJobStatus, type JobEntry } from './job-entry';
import { JobsError, JobsErrorCode } from './jobs.error';

export type JobDecisionKind = 'queued' | 'admitted' | 'paused' | 'resumed' | 'cancelled' | 'finished';

/** Where decisions go: the bus and the log in the app, a list in tests. */
export interface JobAnnouncer {
  job(decision: JobDecisionKind, job: JobStatus, reason: string): void;
  admission(status: AdmissionStatus, reason: string): void;
}

/** What admission depends on, from the resource policy and the activity tracker. */
export interface AdmissionInputs {
  readonly resourceState: ResourceState;
  /** The resource state's reason line. */
  readonly resourceReason: string;
  /** Resource rules that hold background work without changing the state (battery below the background minimum). */
  readonly backgroundConditions: readonly string[];
  readonly userActivity: UserActivity;
}

interface Hold {
  readonly code: string;
  readonly message: string;
}

type HeldClass = JobClass.LLM | JobClass.BACKGROUND;

export class JobAdmission {
  private readonly queue: PQueue;
  private readonly active = new Map<string, JobEntry>();
  /** Finished jobs, oldest first, for listing and for answering a late complete or cancel. */
  private readonly finished = new Map<string, JobEntry>();
  private readonly holds = new Map<HeldClass, readonly Hold[]>([
    [JobClass.LLM, []],
    [JobClass.BACKGROUND, []],
  ]);
  private resourceState = ResourceState.NORMAL;
  private userActive = false;
  private enqueueCount = 0;

  constructor(
    private readonly settings: JobSettings,
    private readonly clock: Clock,
    private readonly announce: JobAnnouncer,
  ) {
    this.queue = new PQueue({ concurrency: settings.normalConcurrency });
  }

  submit(request: SubmitJobRequest, submitter: string, submitterInstanceId: string): JobStatus {
    const leaseMs = checkSubmission(request, this.settings);
    const existing = this.active.get(request.id);
    if (existing) {
      // A retried submit (its reply was lost) gets the job as it stands; anything else under the same id is a mistake.
      if (existing.submitter === submitter && existing.jobClass === request.jobClass && existing.priority === request.priority) return this.statusOf(existing);
      throw new JobsError(
        JobsErrorCode.DuplicateId,
        `A job "${request.id}" is already ${describeState(existing.state)} (submitted by ${existing.submitter}); choose another id.`,
      );
    }
    const waiting = this.count(JobState.QUEUED) + this.count(JobState.PAUSED);
    if (request.jobClass !== JobClass.INTERACTIVE && waiting >= this.settings.maxWaiting) {
      throw new JobsError(
        JobsErrorCode.QueueFull,
        `${waiting} jobs are already waiting (at most ${this.settings.maxWaiting}); submit again once some have run.`,
      );
    }
    this.finished.delete(request.id);
    const entry: JobEntry = {
      id: request.id,
      jobClass: request.jobClass,
      priority: request.priority,
      kind: request.kind,
      submitter,
      submitterInstanceId,
      leaseMs,
      submittedAtMs: this.clock.now(),
      state: JobState.QUEUED,
      reason: '',
      pauseAdvised: false,
      enqueuedSeq: 0,
      slot: undefined,
    };
    this.active.set(entry.id, entry);
    if (entry.jobClass === JobClass.INTERACTIVE) {
      this.markRunning(entry, 'interactive work is admitted at once');
      return this.statusOf(entry);
    }
    const holds = this.holds.get(entry.jobClass as HeldClass)!;
    if (holds.length > 0) {
      this.pause(entry, holds);
    } else if (this.enqueue(entry)) {
      this.emit('queued', entry, entry.reason);
    }
    return this.statusOf(entry);
  }

  complete(request: CompleteJobRequest, source: string): JobStatus {
    const entry = this.find(request.id);
    if (entry.submitter !== source) {
      throw new JobsError(
        JobsErrorCode.NotPermitted,
        `Job "${entry.id}" was submitted by ${entry.submitter}; only it may complete the job (${source} may cancel it if it is an operator).`,
      );
    }
    const outcome = request.succeeded ? JobState.SUCCEEDED : JobState.FAILED;
    if (!isActive(entry.state)) {
      // A retried complete (its reply was lost) gets the same answer; completing a job that lost its slot does not.
      if (entry.state === outcome) return this.statusOf(entry);
      throw new JobsError(JobsErrorCode.AlreadyFinished, `Job "${entry.id}" already ended (${describeState(entry.state)}: ${entry.reason}).`);
    }
    if (entry.state !== JobState.RUNNING) {
      throw new JobsError(
        JobsErrorCode.NotRunning,
        `Job "${entry.id}" is ${describeState(entry.state)}, not running: wait for jobs.job.admitted, or cancel it.`,
      );
    }
    const reason = request.succeeded ? `completed by ${source}` : `failed: ${clipText(request.error) || 'no error given'}`;
    this.finish(entry, outcome, reason, 'finished');
    return this.statusOf(entry);
  }

  /** The submitter extends a running job's lease from now (long streaming work renews while it runs). */
  renew(request: RenewJobRequest, source: string): JobStatus {
    const entry = this.find(request.id);
    if (entry.submitter !== source)
      throw new JobsError(JobsErrorCode.NotPermitted, `Job "${entry.id}" was submitted by ${entry.submitter}; only it may renew its lease.`);
    if (!isActive(entry.state))
      throw new JobsError(JobsErrorCode.AlreadyFinished, `Job "${entry.id}" already ended (${describeState(entry.state)}: ${entry.reason}).`);
    if (entry.state !== JobState.RUNNING)
      throw new JobsError(JobsErrorCode.NotRunning, `Job "${entry.id}" is ${describeState(entry.state)}, not running: only a running job holds a lease.`);
    entry.leaseMs = checkLease(request.leaseMs, entry.leaseMs, this.settings);
    entry.renewedAtMs = this.clock.now();
    return this.statusOf(entry);
  }

  cancel(id: string, reason: string, source: string): JobStatus {
    const entry = this.find(id);
    if (entry.submitter !== source && !JOB_OPERATORS.includes(source as (typeof JOB_OPERATORS)[number])) {
      throw new JobsError(
        JobsErrorCode.NotPermitted,
        `Job "${entry.id}" was submitted by ${entry.submitter}; only it or an operator (${JOB_OPERATORS.join(', ')}) may cancel it.`,
      );
    }
    if (!isActive(entry.state)) {
      if (entry.state === JobState.CANCELLED) return this.statusOf(entry);
      throw new JobsError(JobsErrorCode.AlreadyFinished, `Job "${entry.id}" already ended (${describeState(entry.state)}: ${entry.reason}).`);
    }
    const why = clipText(reason);
    this.finish(entry, JobState.CANCELLED, `cancelled by ${source}${why ? `: ${why}` : ''}`, 'cancelled');
    return this.statusOf(entry);
  }

  /** A service instance stopped: its jobs cannot be run or completed any more. Returns how many were cancelled. */
  submitterStopped(instanceId: string, service: string): number {
    const jobs = [...this.active.values()].filter((entry) => entry.submitterInstanceId === instanceId);
    for (const entry of jobs) this.finish(entry, JobState.CANCELLED, `its submitter ${service} stopped`, 'cancelled');
    return jobs.length;
  }

  /** Takes back the slots of running jobs whose lease has ended. */
  expireLeases(nowMs: number): void {
    for (const entry of [...this.active.values()]) {
      if (entry.state === JobState.RUNNING && nowMs - (entry.renewedAtMs ?? entry.admittedAtMs!) >= entry.leaseMs) {
        this.finish(entry, JobState.EXPIRED, `not completed within its ${entry.leaseMs} ms lease; the slot was taken back`, 'cancelled');
      }
    }
  }

  /** Applies the resource state and user activity: slots, and which classes are held. */
  update(inputs: AdmissionInputs): void {
    const background: Hold[] = [];
    if (inputs.resourceState === ResourceState.CONSTRAINED || inputs.resourceState === ResourceState.CRITICAL) {
      background.push({ code: 'resources', message: `resources are ${inputs.resourceReason}` });
    }
    for (const condition of inputs.backgroundConditions) background.push({ code: 'battery', message: condition });
    if (inputs.userActivity.active) background.push({ code: 'user_active', message: inputs.userActivity.reason });
    const llm: Hold[] =
      inputs.resourceState === ResourceState.CRITICAL && this.settings.holdLlmWhenCritical
        ? [{ code: 'resources', message: `resources are ${inputs.resourceReason}` }]
        : [];

    const changes: string[] = [];
    const concurrency = this.concurrencyFor(inputs.resourceState);
    if (concurrency !== this.queue.concurrency) changes.push(`slots ${this.queue.concurrency} → ${concurrency} (resources ${stateName(inputs.resourceState)})`);
    this.resourceState = inputs.resourceState;
    this.userActive = inputs.userActivity.active;
    // Slots first: a class released below then finds them.
    this.queue.concurrency = concurrency;
    for (const [jobClass, holds] of [
      [JobClass.LLM, llm],
      [JobClass.BACKGROUND, background],
    ] as const) {
      const change = this.applyHolds(jobClass, holds);
      if (change) changes.push(change);
    }
    if (changes.length > 0) this.announce.admission(this.status(), changes.join('; '));
  }

  list(request: ListJobsRequest): { jobs: JobStatus[]; admission: AdmissionStatus } {
    const order = (entry: JobEntry) => (entry.state === JobState.RUNNING ? 0 : entry.state === JobState.QUEUED ? 1 : 2);
    const active = [...this.active.values()].sort(
      (a, b) => order(a) - order(b) || queuePriority(b) - queuePriority(a) || a.enqueuedSeq - b.enqueuedSeq || a.submittedAtMs - b.submittedAtMs,
    );
    const finished = [...this.finished.values()].reverse();
    const wanted = (entry: JobEntry) =>
      (request.states.length === 0 || request.states.includes(entry.state)) && (request.submitter === '' || entry.submitter === request.submitter);
    return { jobs: [...active, ...finished].filter(wanted).map((entry) => this.statusOf(entry)), admission: this.status() };
  }

  status(): AdmissionStatus {
    return create(AdmissionStatusSchema, {
      resourceState: this.resourceState,
      concurrency: this.queue.concurrency,
      running: this.count(JobState.RUNNING),
      queued: this.count(JobState.QUEUED),
      paused: this.count(JobState.PAUSED),
      backgroundHolds: this.holds.get(JobClass.BACKGROUND)!.map((hold) => hold.message),
      llmHolds: this.holds.get(JobClass.LLM)!.map((hold) => hold.message),
      userActive: this.userActive,
    });
  }

  private concurrencyFor(state: ResourceState): number {
    switch (state) {
      case ResourceState.CRITICAL:
        return this.settings.criticalConcurrency;
      case ResourceState.CONSTRAINED:
        return this.settings.constrainedConcurrency;
      case ResourceState.NORMAL:
      case ResourceState.UNSPECIFIED:
        return this.settings.normalConcurrency;
    }
  }

  /** Holds or releases one class; returns a description when whether it is held changed. */
  private applyHolds(jobClass: HeldClass, holds: readonly Hold[]): string | undefined {
    const before = this.holds.get(jobClass)!;
    this.holds.set(jobClass, holds);
    const ofClass = [...this.active.values()].filter((entry) => entry.jobClass === jobClass).sort((a, b) => a.submittedAtMs - b.submittedAtMs);
    const reason = holds.map((hold) => hold.message).join('; ');
    const name = className(jobClass);
    if (holds.length > 0 && before.length === 0) {
      for (const entry of ofClass) {
        if (entry.state === JobState.QUEUED) {
          entry.slot!.controller.abort();
          entry.slot = undefined;
          this.pause(entry, holds);
        } else if (entry.state === JobState.RUNNING) {
          entry.pauseAdvised = true;
          entry.reason = reason;
          this.emit('paused', entry, `asked to pause at a safe point: ${reason}`);
        }
      }
      return `${name} work held: ${reason}`;
    }
    if (holds.length === 0 && before.length > 0) {
      for (const entry of ofClass) {
        if (entry.state === JobState.PAUSED) {
          entry.reason = 'nothing holds it any more';
          this.emit('resumed', entry, entry.reason);
          if (this.enqueue(entry)) this.emit('queued', entry, entry.reason);
        } else if (entry.state === JobState.RUNNING && entry.pauseAdvised) {
          entry.pauseAdvised = false;
          entry.reason = 'may continue: nothing holds it any more';
          this.emit('resumed', entry, entry.reason);
        }
      }
      return `${name} work released: nothing holds it any more`;
    }
    // Still held, perhaps for other reasons now: keep the reasons shown current without announcing again.
    for (const entry of ofClass) if (entry.state === JobState.PAUSED || entry.pauseAdvised) entry.reason = reason;
    return undefined;
  }

  private pause(entry: JobEntry, holds: readonly Hold[]): void {
    entry.state = JobState.PAUSED;
    entry.reason = holds.map((hold) => hold.message).join('; ');
    this.emit('paused', entry, entry.reason);
  }

  /** Puts a job in the p-queue; returns whether it waits there (false: a free slot admitted it at once). */
  private enqueue(entry: JobEntry): boolean {
    const controller = new AbortController();
    entry.state = JobState.QUEUED;
    entry.reason = 'waiting for a slot';
    entry.enqueuedSeq = ++this.enqueueCount;
    entry.slot = { controller };
    // Settles when the job's slot is freed (resolved) or it leaves the queue unstarted (aborted): nothing to do then.
    this.queue
      .add(
        () =>
          new Promise<void>((release) => {
            entry.slot = { controller, release };
            this.markRunning(entry, 'a slot is free');
          }),
        { priority: queuePriority(entry), signal: controller.signal },
      )
      .catch(() => undefined);
    return entry.slot.release === undefined;
  }

  private markRunning(entry: JobEntry, reason: string): void {
    entry.state = JobState.RUNNING;
    entry.reason = reason;
    entry.admittedAtMs = this.clock.now();
    this.emit('admitted', entry, reason);
  }

  private finish(entry: JobEntry, state: JobState, reason: string, decision: JobDecisionKind): void {
    const slot = entry.slot;
    entry.slot = undefined;
    entry.state = state;
    entry.reason = reason;
    entry.pauseAdvised = false;
    entry.finishedAtMs = this.clock.now();
    this.active.delete(entry.id);
    this.finished.set(entry.id, entry);
    while (this.finished.size > this.settings.finishedHistory) this.finished.delete(this.finished.keys().next().value!);
    // Announced before the slot is handed on, so a watcher sees the release before the next admission.
    this.emit(decision, entry, reason);
    if (slot?.release) slot.release();
    else slot?.controller.abort();
  }

  private find(id: string): JobEntry {
    const entry = this.active.get(id) ?? this.finished.get(id);
    if (!entry) throw new JobsError(JobsErrorCode.UnknownJob, `No job "${id}" is known (finished jobs are remembered only for a while).`);
    return entry;
  }

  private count(state: JobState): number {
    let count = 0;
    for (const entry of this.active.values()) if (entry.state === state) count++;
    return count;
  }

  /** The job with its place among the queued ones (1-based), in the order the p-queue admits them. */
  private statusOf(entry: JobEntry): JobStatus {
    if (entry.state !== JobState.QUEUED) return toJobStatus(entry);
    let position = 1;
    for (const other of this.active.values()) {
      if (other.state !== JobState.QUEUED || other === entry) continue;
      const ahead = queuePriority(other) > queuePriority(entry) || (queuePriority(other) === queuePriority(entry) && other.enqueuedSeq < entry.enqueuedSeq);
      if (ahead) position++;
    }
    return toJobStatus(entry, position);
  }

  private emit(decision: JobDecisionKind, entry: JobEntry, reason: string): void {
    this.announce.job(decision, this.statusOf(entry), reason);
  }
}

function describeState(state: JobState): string {
  switch (state) {
    case JobState.QUEUED:
      return 'queued';
    case JobState.PAUSED:
      return 'paused';
    case JobState.RUNNING:
      return 'running';
    case JobState.SUCCEEDED:
      return 'succeeded';
    case JobState.FAILED:
      return 'failed';
    case JobState.CANCELLED:
      return 'cancelled';
    case JobState.EXPIRED:
      return 'expired';
    case JobState.UNSPECIFIED:
      return 'in no state';
  }
}
