// The scheduler's refusals, as values with codes (SchedulerErrorCode is part of the contract, so the CLI can map
// every code to an exit code).
import { PublicError, SchedulerErrorCode } from '@aico/contracts';

export { SchedulerErrorCode };

export class SchedulerError extends PublicError<SchedulerErrorCode> {
  override readonly name = 'SchedulerError';
}
