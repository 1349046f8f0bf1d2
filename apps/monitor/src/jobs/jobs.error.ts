import { JobsErrorCode, PublicError } from '@aico/contracts';

export { JobsErrorCode };

/** A job request the monitor refuses; the message says what to do instead. */
export class JobsError extends PublicError<JobsErrorCode> {
  override readonly name = 'JobsError';
}
