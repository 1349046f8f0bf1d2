// A job as admission keeps it, the checks a submission passes, and its bus form.
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { JobClass, JobState, JobStatusSchema, type JobStatus, type SubmitJobRequest } from '@aico/contracts';
import type { JobSettings } from '../monitor.config';
import { JobsError, JobsErrorCode } from './jobs.error';

const MIN_PRIORITY = -1000;
const MAX_PRIORITY = 1000;
const MAX_TEXT = 128;
const MIN_LEASE_MS = 1_000;

export interface JobEntry {
  readonly id: string;
  readonly jobClass: JobClass;
  readonly priority: number;
  readonly kind: string;
  readonly submitter: string;
  readonly submitterInstanceId: string;
  /** How long the job may hold its slot from its admission, or from its latest renewal. */
  leaseMs: number;
  /** When the lease was last renewed (jobs.job.renew); the lease counts from here once set. */
  renewedAtMs?: number;
  readonly submittedAtMs: number;
  state: JobState;
  reason: string;
  pauseAdvised: boolean;
  admittedAtMs?: number;
  finishedAtMs?: number;
  /** Order of the latest enqueue: p-queue keeps equal priorities first in, first out. */
  enqueuedSeq: number;
  /** While the job is in the p-queue: abort takes a waiting job out; release frees a running job's slot. */
  slot: { readonly controller: AbortController; release?: () => void } | undefined;
}

/** Admission order across classes: interactive never queues; llm before background; then the job's priority. */
export function queuePriority(entry: Pick<JobEntry, 'jobClass' | 'priority'>): number {
  const classRank = entry.jobClass === JobClass.LLM ? 2 : 1;
  return classRank * 10_000 + entry.priority;
}

export function isActive(state: JobState): boolean {
  return state === JobState.QUEUED || state === JobState.PAUSED || state === JobState.RUNNING;
}

export function className(jobClass: JobClass): string {
  switch (jobClass) {
    case JobClass.INTERACTIVE:
      return 'interactive';
    case JobClass.LLM:
      return 'llm';
    case JobClass.BACKGROUND:
      return 'background';
    case JobClass.UNSPECIFIED:
      return 'unspecified';
  }
}

function checkText(field: string, value: string, required: boolean): void {
  if (required && value.trim() === '') throw new JobsError(JobsErrorCode.InvalidArgument, `"${field}" is required.`);
  if (value.length > MAX_TEXT)
    throw new JobsError(JobsErrorCode.InvalidArgument, `"${field}" is ${value.length} characters long; at most ${MAX_TEXT} are accepted.`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new JobsError(JobsErrorCode.InvalidArgument, `"${field}" contains a control character; use printable text.`);
}

/** Free text a caller gives (an error, a reason) as it may go into logs and events: printable, and not too long. */
export function clipText(text: string, max = 200): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  const printable = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return printable.length > max ? `${printable.slice(0, max - 1)}…` : printable;
}

/** Checks a submission; returns the lease it gets. */
export function checkSubmission(request: SubmitJobRequest, settings: JobSettings): number {
  checkText('id', request.id, true);
  checkText('kind', request.kind, false);
  if (request.jobClass !== JobClass.INTERACTIVE && request.jobClass !== JobClass.LLM && request.jobClass !== JobClass.BACKGROUND) {
    throw new JobsError(JobsErrorCode.InvalidArgument, `Job class ${request.jobClass} is not one the monitor knows: use interactive, llm or background.`);
  }
  if (request.priority < MIN_PRIORITY || request.priority > MAX_PRIORITY) {
    throw new JobsError(JobsErrorCode.InvalidArgument, `Priority ${request.priority} is outside ${MIN_PRIORITY}..${MAX_PRIORITY}.`);
  }
  return checkLease(request.leaseMs, settings.defaultLeaseMs, settings);
}

/** A requested lease within the limits; 0 takes `fallbackMs`. */
export function checkLease(leaseMs: number, fallbackMs: number, settings: JobSettings): number {
  if (leaseMs === 0) return fallbackMs;
  if (leaseMs < MIN_LEASE_MS || leaseMs > settings.maxLeaseMs) {
    throw new JobsError(
      JobsErrorCode.InvalidArgument,
      `A lease of ${leaseMs} ms is outside ${MIN_LEASE_MS}..${settings.maxLeaseMs} ms (0 takes the default, ${settings.defaultLeaseMs} ms).`,
    );
  }
  return leaseMs;
}

export function toJobStatus(entry: JobEntry, queuePosition = 0): JobStatus {
  return create(JobStatusSchema, {
    id: entry.id,
    jobClass: entry.jobClass,
    priority: entry.priority,
    kind: entry.kind,
    submitter: entry.submitter,
    submitterInstanceId: entry.submitterInstanceId,
    state: entry.state,
    reason: entry.reason,
    pauseAdvised: entry.pauseAdvised,
    leaseMs: entry.leaseMs,
    queuePosition,
    submittedAt: timestampFromMs(entry.submittedAtMs),
    ...(entry.admittedAtMs !== undefined ? { admittedAt: timestampFromMs(entry.admittedAtMs) } : {}),
    ...(entry.finishedAtMs !== undefined ? { finishedAt: timestampFromMs(entry.finishedAtMs) } : {}),
  });
}
