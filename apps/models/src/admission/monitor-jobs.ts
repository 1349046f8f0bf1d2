// Every generation is a monitor job (jobs.*): submitted, started only once admitted, its lease renewed while it
// streams, paused and resumed on the monitor's advice, stopped when cancelled, completed at the end. The job events
// are subscribed once at start, so an admission announced before the submit's reply is never missed. A monitor that
// starts (again) knows none of our jobs: those waiting for admission, and those paused while running (which would
// otherwise wait for a "resumed" nobody will send), are submitted to it again.
//
// When the monitor does not answer: interactive work runs anyway (a person waits, and the monitor admits interactive
// work at once in every state, so its absence changes no decision; the service's own gate on critical resources
// still applies); llm and background work is refused with NOT_ADMITTED (whether it may run depends on slots and
// resources only the monitor knows; its submitter retries later).
import { BusError, BusErrorCode, RemoteError, type BusClient } from '@aico/bus';
import { JobClass, JobsErrorCode, JobState, MonitorTopics, SystemTopics, type JobDecision, type JobStatus } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { ModelsError, ModelsErrorCode } from '../models.error';

export interface JobSpec {
  readonly id: string;
  readonly jobClass: JobClass;
  readonly priority: number;
  readonly kind: string;
}

export interface JobSettings {
  readonly leaseMs: number;
  /** How long the submit may take before the monitor counts as not answering. */
  readonly submitTimeoutMs: number;
}

/** What the monitor says about one job, as it happens. */
export interface JobListener {
  /** Waiting for admission: the monitor's queue position (0: paused), and why. */
  waiting(position: number, reason: string): void;
  admitted(): void;
  /** Asked to pause: a running job stops at its next token and waits for `resumed`. */
  paused(reason: string): void;
  resumed(): void;
  /** Cancelled by an operator, or its lease ran out: stop. */
  cancelled(reason: string): void;
}

const NOT_ANSWERING = new Set<string>([
  BusErrorCode.DeadlineExceeded,
  BusErrorCode.NoHandler,
  BusErrorCode.NotConnected,
  BusErrorCode.BusUnreachable,
  BusErrorCode.QueueFull,
]);

export class JobTicket {
  state: 'waiting' | 'running' | 'ended' = 'waiting';
  pauseAdvised = false;
  /** Paused while running when its monitor went away: submitted again, its admission means "resume". */
  private rejoining = false;
  private renewTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly spec: JobSpec,
    /** False when the monitor did not answer and interactive work runs without a job. */
    readonly managed: boolean,
    readonly listener: JobListener,
    private readonly jobs: MonitorJobs,
  ) {}

  get id(): string {
    return this.managed ? this.spec.id : '';
  }

  /** @internal the monitor's word on this job */
  apply(decision: 'queued' | 'admitted' | 'paused' | 'resumed' | 'cancelled' | 'finished', job: JobStatus, reason: string): void {
    if (this.state === 'ended') return;
    switch (decision) {
      case 'queued':
        if (this.state === 'waiting') this.listener.waiting(job.queuePosition, reason);
        return;
      case 'admitted':
        if (this.state === 'waiting') {
          this.state = 'running';
          this.pauseAdvised = false;
          this.startRenewing();
          if (this.rejoining) {
            this.rejoining = false;
            this.listener.resumed();
          } else {
            this.listener.admitted();
          }
        }
        return;
      case 'paused':
        if (this.state === 'running') {
          this.pauseAdvised = true;
          this.listener.paused(reason);
        } else {
          this.listener.waiting(0, reason);
        }
        return;
      case 'resumed':
        if (this.state === 'running' && this.pauseAdvised) {
          this.pauseAdvised = false;
          this.listener.resumed();
        }
        return;
      case 'cancelled':
        this.end();
        this.listener.cancelled(job.state === JobState.EXPIRED ? `its monitor lease ran out: ${reason}` : reason);
        return;
      case 'finished':
        this.end();
        return;
    }
  }

  /** Ends the job at the monitor (frees its slot); never throws. */
  async complete(succeeded: boolean, error = ''): Promise<void> {
    const wasRunning = this.state === 'running';
    const wasWaiting = this.state === 'waiting';
    this.end();
    if (!this.managed) return;
    if (wasRunning) await this.jobs.finish(this.spec.id, { succeeded, error });
    else if (wasWaiting) await this.jobs.withdraw(this.spec.id, error || 'the generation ended before it was admitted');
  }

  private startRenewing(): void {
    if (!this.managed || this.renewTimer) return;
    const every = Math.max(500, Math.floor(this.jobs.settings.leaseMs / 3));
    this.renewTimer = setInterval(() => void this.jobs.renew(this), every);
    this.renewTimer.unref();
  }

  /**
   * @internal A new monitor knows nothing of this job: one still waiting is submitted again as it is; one paused
   * while running waits for admission again (staying paused), and resumes when admitted. Returns whether to submit.
   */
  rejoin(): boolean {
    if (!this.managed || this.state === 'ended') return false;
    if (this.state === 'waiting') return true;
    if (!this.pauseAdvised) return false;
    this.stopRenewing();
    this.state = 'waiting';
    this.rejoining = true;
    return true;
  }

  /** @internal stop renewing (the monitor forgot the job, or it ended) */
  stopRenewing(): void {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }

  private end(): void {
    this.state = 'ended';
    this.stopRenewing();
    this.jobs.forget(this.spec.id);
  }
}

export class MonitorJobs {
  private readonly tickets = new Map<string, JobTicket>();
  private monitorInstance: string | undefined;

  constructor(
    private readonly bus: BusClient,
    readonly settings: JobSettings,
    private readonly instanceId: string,
    private readonly logger: Logger,
  ) {
    const route = (decision: Parameters<JobTicket['apply']>[0]) => (event: { payload: JobDecision }) => {
      const job = event.payload.job;
      if (!job || job.submitterInstanceId !== this.instanceId) return;
      this.tickets.get(job.id)?.apply(decision, job, event.payload.reason || job.reason);
    };
    bus.subscribe(MonitorTopics.jobQueued, route('queued'));
    bus.subscribe(MonitorTopics.jobAdmitted, route('admitted'));
    bus.subscribe(MonitorTopics.jobPaused, route('paused'));
    bus.subscribe(MonitorTopics.jobResumed, route('resumed'));
    bus.subscribe(MonitorTopics.jobCancelled, route('cancelled'));
    bus.subscribe(MonitorTopics.jobFinished, route('finished'));
    // A new monitor instance knows none of our jobs: those waiting for admission (or paused) are submitted again.
    // Usually the monitor started before this service, so the first ready heard may well be a restart: any ready
    // from an instance not heard before counts (a monitor that does know a job answers its submit with it as it is).
    bus.subscribe(SystemTopics.serviceReady, (event) => {
      if (event.source !== 'monitor' || event.payload.service !== 'monitor') return;
      if (this.monitorInstance === event.payload.instanceId) return;
      this.monitorInstance = event.payload.instanceId;
      void this.resubmitWaiting();
    });
  }

  /** Submits the job; resolves with its ticket once the monitor answered (the listener hears the rest). */
  async submit(spec: JobSpec, listener: JobListener): Promise<JobTicket> {
    const ticket = new JobTicket(spec, true, listener, this);
    this.tickets.set(spec.id, ticket);
    try {
      await this.send(ticket);
      return ticket;
    } catch (error) {
      this.tickets.delete(spec.id);
      if (isNotAnswering(error) && spec.jobClass === JobClass.INTERACTIVE) {
        this.logger.warn({ job: spec.id, code: (error as BusError).code }, 'The monitor did not answer; interactive work runs without admission');
        const unmanaged = new JobTicket(spec, false, listener, this);
        unmanaged.apply('admitted', { queuePosition: 0 } as JobStatus, 'the monitor did not answer');
        return unmanaged;
      }
      throw refusal(error);
    }
  }

  /** @internal */
  async renew(ticket: JobTicket): Promise<void> {
    try {
      await this.bus.request(MonitorTopics.jobRenew, { id: ticket.spec.id, leaseMs: this.settings.leaseMs }, { timeoutMs: this.settings.submitTimeoutMs });
    } catch (error) {
      if (
        error instanceof RemoteError &&
        (error.code === JobsErrorCode.UnknownJob || error.code === JobsErrorCode.AlreadyFinished || error.code === JobsErrorCode.NotRunning)
      ) {
        // The monitor restarted or took the slot back; a cancel event (if any) stops the work. Renewing is over.
        this.logger.info({ job: ticket.spec.id, code: error.code }, 'The monitor no longer holds this job; not renewing its lease');
        ticket.stopRenewing();
      } else {
        this.logger.debug({ job: ticket.spec.id, err: error }, 'A lease renewal failed; trying again at the next interval');
      }
    }
  }

  /** @internal */
  async finish(id: string, outcome: { succeeded: boolean; error: string }): Promise<void> {
    await this.bus
      .request(
        MonitorTopics.jobComplete,
        { id, succeeded: outcome.succeeded, error: outcome.error.slice(0, 500) },
        { timeoutMs: this.settings.submitTimeoutMs },
      )
      .catch((error: unknown) => {
        this.logger.debug({ job: id, err: error }, 'The monitor did not take the completion (its lease ends the job)');
      });
  }

  /** @internal */
  async withdraw(id: string, reason: string): Promise<void> {
    await this.bus
      .request(MonitorTopics.jobCancel, { id, reason: reason.slice(0, 200) }, { timeoutMs: this.settings.submitTimeoutMs })
      .catch((error: unknown) => {
        this.logger.debug({ job: id, err: error }, 'The monitor did not take the withdrawal');
      });
  }

  /** @internal */
  forget(id: string): void {
    this.tickets.delete(id);
  }

  get pending(): number {
    return this.tickets.size;
  }

  private async send(ticket: JobTicket): Promise<void> {
    const { job } = await this.bus.request(
      MonitorTopics.jobSubmit,
      { id: ticket.spec.id, jobClass: ticket.spec.jobClass, priority: ticket.spec.priority, kind: ticket.spec.kind, leaseMs: this.settings.leaseMs },
      { timeoutMs: this.settings.submitTimeoutMs },
    );
    if (!job) return;
    // The admitted event may have come first; apply() ignores what no longer applies.
    if (job.state === JobState.RUNNING) ticket.apply('admitted', job, job.reason);
    else if (job.state === JobState.PAUSED) ticket.apply('paused', job, job.reason);
    else if (job.state === JobState.QUEUED) ticket.apply('queued', job, job.reason);
  }

  private async resubmitWaiting(): Promise<void> {
    for (const ticket of [...this.tickets.values()]) {
      if (!ticket.rejoin()) continue;
      this.logger.info({ job: ticket.spec.id }, 'A monitor started; submitting a waiting job again');
      await this.send(ticket).catch((error: unknown) =>
        this.logger.warn({ job: ticket.spec.id, err: error }, 'Submitting again failed; the job waits for the next monitor'),
      );
    }
  }
}

function isNotAnswering(error: unknown): boolean {
  return error instanceof BusError && NOT_ANSWERING.has(error.code);
}

function refusal(error: unknown): ModelsError {
  if (error instanceof RemoteError && error.code === JobsErrorCode.QueueFull) {
    return new ModelsError(ModelsErrorCode.Busy, `The monitor's job queue is full (${error.message}); try again later.`);
  }
  if (isNotAnswering(error)) {
    return new ModelsError(
      ModelsErrorCode.NotAdmitted,
      'The monitor did not answer, and only interactive work runs without its admission; try again when it is running.',
    );
  }
  return new ModelsError(ModelsErrorCode.NotAdmitted, `The monitor refused the job: ${(error as Error).message}`);
}
