// Topics of the monitor: resource samples and the state the resource policy derives from them (`system.resources.*`),
// job admission (`jobs.*`: submit → queued or paused → admitted → complete, or cancel; every decision announced),
// and the user activity the gateway reports (`ui.activity.reported`), which holds background work.
import {
  AdmissionChangedSchema,
  CancelJobRequestSchema,
  CancelJobResponseSchema,
  CompleteJobRequestSchema,
  CompleteJobResponseSchema,
  JobDecisionSchema,
  ListJobsRequestSchema,
  ListJobsResponseSchema,
  RenewJobRequestSchema,
  RenewJobResponseSchema,
  SubmitJobRequestSchema,
  SubmitJobResponseSchema,
} from './gen/aico/monitor/v1/jobs_pb';
import {
  ResourceSampleSchema,
  ResourceStateChangedSchema,
  ResourceStatusRequestSchema,
  ResourceStatusResponseSchema,
} from './gen/aico/monitor/v1/resources_pb';
import { ActivityReportSchema } from './gen/aico/ui/v1/activity_pb';
import type { ServiceIdentity } from './identities';
import { defineEvent, defineRequest } from './topic-registry';

const monitor = ['monitor'] as const;

/** Identities that may cancel any job, besides its submitter (an operator, or a person through the gateway). */
export const JOB_OPERATORS: readonly ServiceIdentity[] = ['cli', 'supervisor', 'gateway'];

/** Error codes the monitor answers job requests with. */
export enum JobsErrorCode {
  InvalidArgument = 'JOBS_INVALID_ARGUMENT',
  DuplicateId = 'JOBS_DUPLICATE_ID',
  QueueFull = 'JOBS_QUEUE_FULL',
  UnknownJob = 'JOBS_UNKNOWN_JOB',
  NotPermitted = 'JOBS_NOT_PERMITTED',
  NotRunning = 'JOBS_NOT_RUNNING',
  AlreadyFinished = 'JOBS_ALREADY_FINISHED',
}

export const MonitorTopics = {
  resourceSample: defineEvent({
    topic: 'system.resources.sample',
    payload: ResourceSampleSchema,
    publishers: monitor,
    contractVersion: 1,
    description: 'CPU, memory, battery, load average and the usage of aico processes, at the monitor publish interval.',
  }),
  resourceState: defineEvent({
    topic: 'system.resources.state',
    payload: ResourceStateChangedSchema,
    publishers: monitor,
    contractVersion: 1,
    description: 'The resource state (normal, constrained, critical) changed, with the rules that hold.',
  }),
  resourceStatus: defineRequest({
    topic: 'system.resources.status',
    payload: ResourceStatusRequestSchema,
    response: ResourceStatusResponseSchema,
    publishers: 'any',
    responders: monitor,
    contractVersion: 1,
    description: 'The latest sample, the resource state and why, and user activity (including whether OS idle time can be read).',
  }),
  jobSubmit: defineRequest({
    topic: 'jobs.job.submit',
    payload: SubmitJobRequestSchema,
    response: SubmitJobResponseSchema,
    publishers: 'any',
    responders: monitor,
    contractVersion: 1,
    description: 'Asks for admission of a job (interactive, llm or background, with a priority); answered with the job queued, paused or running.',
  }),
  jobComplete: defineRequest({
    topic: 'jobs.job.complete',
    payload: CompleteJobRequestSchema,
    response: CompleteJobResponseSchema,
    publishers: 'any',
    responders: monitor,
    contractVersion: 1,
    description: 'The submitter ends a running job, which frees its slot.',
  }),
  jobRenew: defineRequest({
    topic: 'jobs.job.renew',
    payload: RenewJobRequestSchema,
    response: RenewJobResponseSchema,
    publishers: 'any',
    responders: monitor,
    contractVersion: 1,
    description: 'The submitter extends a running job’s lease (long streaming work renews while it runs).',
  }),
  jobCancel: defineRequest({
    topic: 'jobs.job.cancel',
    payload: CancelJobRequestSchema,
    response: CancelJobResponseSchema,
    publishers: 'any',
    responders: monitor,
    contractVersion: 1,
    description: 'Removes a queued or paused job, or takes back a running job’s slot (submitter or operator).',
  }),
  queueList: defineRequest({
    topic: 'jobs.queue.list',
    payload: ListJobsRequestSchema,
    response: ListJobsResponseSchema,
    publishers: 'any',
    responders: monitor,
    contractVersion: 1,
    description: 'Jobs in admission order with their states and reasons, recent finished ones, and how admission works now.',
  }),
  queueChanged: defineEvent({
    topic: 'jobs.queue.changed',
    payload: AdmissionChangedSchema,
    publishers: monitor,
    contractVersion: 1,
    description: 'Admission changed: slots, or a job class held or released, and why.',
  }),
  jobQueued: defineEvent({
    topic: 'jobs.job.queued',
    payload: JobDecisionSchema,
    publishers: monitor,
    contractVersion: 1,
    description: 'A job waits for a slot.',
  }),
  jobAdmitted: defineEvent({
    topic: 'jobs.job.admitted',
    payload: JobDecisionSchema,
    publishers: monitor,
    contractVersion: 1,
    description: 'A job got a slot: its submitter may run it now.',
  }),
  jobPaused: defineEvent({
    topic: 'jobs.job.paused',
    payload: JobDecisionSchema,
    publishers: monitor,
    contractVersion: 1,
    description: 'A job is held (queued: not admitted until the hold ends; running: asked to pause at a safe point), with the reason.',
  }),
  jobResumed: defineEvent({
    topic: 'jobs.job.resumed',
    payload: JobDecisionSchema,
    publishers: monitor,
    contractVersion: 1,
    description: 'A hold ended: a paused job queues again, a running one may continue.',
  }),
  jobCancelled: defineEvent({
    topic: 'jobs.job.cancelled',
    payload: JobDecisionSchema,
    publishers: monitor,
    contractVersion: 1,
    description: 'A job was cancelled, or its lease ran out (state expired): a runner stops it.',
  }),
  jobFinished: defineEvent({
    topic: 'jobs.job.finished',
    payload: JobDecisionSchema,
    publishers: monitor,
    contractVersion: 1,
    description: 'A running job was completed by its submitter (succeeded or failed).',
  }),
  activityReported: defineEvent({
    topic: 'ui.activity.reported',
    payload: ActivityReportSchema,
    publishers: ['gateway'],
    audience: { user: 'userId' },
    contractVersion: 1,
    description: 'A person is using a front end, or left it; background work waits while the user is active.',
  }),
} as const;
