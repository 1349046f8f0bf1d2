// A bus request of a REST route to another service, with what a front end needs when that service does not answer:
// 503 with a code naming the service (CONVERSATION_SERVICE_UNAVAILABLE, MODELS_SERVICE_UNAVAILABLE) and a
// Retry-After, instead of a generic failure. Every other error keeps its own code (api-exception.filter.ts).
import { BusErrorCode } from '@aico/bus';
import { PublicError } from '@aico/contracts';
import { ApiError } from './api-error';
import { BUS_ERROR_STATUS } from './domain-error-status';

/**
 * Bus codes that mean nobody answered (not running, not reachable, too slow, died mid-answer): the ones the status
 * table answers 503, so a new bus code is decided once, there.
 */
export const NO_ANSWER: ReadonlySet<string> = new Set(Object.values(BusErrorCode).filter((code) => BUS_ERROR_STATUS[code].status === 503));

export type ServiceName = 'conversation' | 'models';

/** The request options naming the user a request is made for (the services record and check it). */
export const onBehalfOf = (userId: string) => ({ attributes: { user: userId } });

export function serviceUnavailable(service: ServiceName, cause: string): ApiError {
  return new ApiError(
    503,
    `${service.toUpperCase()}_SERVICE_UNAVAILABLE`,
    `The ${service} service did not answer; retry shortly ("aico status" shows whether it runs).`,
    { cause, retryAfterSeconds: 5 },
  );
}

export async function callService<T>(service: ServiceName, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof PublicError && NO_ANSWER.has(error.code)) throw serviceUnavailable(service, error.code);
    throw error;
  }
}
