// Every admission decision goes to the log and onto the bus (`jobs.job.*`, `jobs.queue.changed`), where its
// submitter acts on it and storage keeps it with the rest of the bus history.
import { Inject, Injectable } from '@nestjs/common';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { BusClient } from '@aico/bus';
import { MonitorTopics, type AdmissionStatus, type JobStatus } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { SERVICE_LOGGER } from '@aico/service';
import { CLOCK, type Clock } from '../monitor.tokens';
import type { JobAnnouncer, JobDecisionKind } from './job-admission';
import { className } from './job-entry';

const TOPICS = {
  queued: MonitorTopics.jobQueued,
  admitted: MonitorTopics.jobAdmitted,
  paused: MonitorTopics.jobPaused,
  resumed: MonitorTopics.jobResumed,
  cancelled: MonitorTopics.jobCancelled,
  finished: MonitorTopics.jobFinished,
} as const satisfies Record<JobDecisionKind, unknown>;

@Injectable()
export class BusJobAnnouncer implements JobAnnouncer {
  private readonly logger: Logger;

  constructor(
    private readonly bus: BusClient,
    @Inject(SERVICE_LOGGER) logger: Logger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.logger = logger.child({ context: 'JobAdmission' });
  }

  job(decision: JobDecisionKind, job: JobStatus, reason: string): void {
    this.logger.info(
      { jobId: job.id, jobClass: className(job.jobClass), submitter: job.submitter, kind: job.kind, priority: job.priority, decision, reason },
      `Job ${decision}: ${reason}`,
    );
    this.bus
      .publish(TOPICS[decision], { job, reason, decidedAt: timestampFromMs(this.clock.now()) })
      .catch((error: unknown) => this.notSent(TOPICS[decision].topic, error));
  }

  admission(admission: AdmissionStatus, reason: string): void {
    this.logger.info(
      { concurrency: admission.concurrency, backgroundHolds: admission.backgroundHolds, llmHolds: admission.llmHolds, reason },
      `Admission changed: ${reason}`,
    );
    this.bus
      .publish(MonitorTopics.queueChanged, { admission, reason, changedAt: timestampFromMs(this.clock.now()) })
      .catch((error: unknown) => this.notSent(MonitorTopics.queueChanged.topic, error));
  }

  private notSent(topic: string, error: unknown): void {
    this.logger.warn({ topic, err: error }, 'An admission announcement was not sent');
  }
}
