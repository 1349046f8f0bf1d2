// Every error leaving the REST API in the one shape (see ApiError). A public error (a service's, the bus's) gets the
// status domain-error-status.ts gives its code, exhaustively per domain; anything else is a 500 that names only the
// request id (the log has the rest).
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PublicError } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { ApiError } from './api-error';
import { INTERNAL, domainErrorStatus, type DomainErrorStatus } from './domain-error-status';

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = status === 404 ? 'NOT_FOUND' : status === 429 ? 'RATE_LIMITED' : status === 405 ? 'METHOD_NOT_ALLOWED' : `HTTP_${status}`;
    const message = status === 404 ? 'No such route.' : status === 429 ? 'Too many requests; slow down and retry later.' : error.message;
    return new ApiError(status, code, message);
  }
  if (!(error instanceof PublicError)) return fromStatus(INTERNAL, undefined);
  // A code no domain declares (a stand-in's, an old peer's) is not trusted with its message either.
  return fromStatus(domainErrorStatus(error.code) ?? INTERNAL, error);
}

function fromStatus(mapped: DomainErrorStatus, error: PublicError | undefined): ApiError {
  const details = {
    ...(mapped.withCause && error ? { cause: error.code } : {}),
    ...(mapped.retryAfterSeconds ? { retryAfterSeconds: mapped.retryAfterSeconds } : {}),
  };
  const code = mapped.publicCode ?? error?.code ?? 'INTERNAL';
  const message = mapped.message ?? error?.message ?? '';
  return new ApiError(mapped.status, code, message, Object.keys(details).length > 0 ? details : undefined);
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request & { id?: string }>();
    const response = http.getResponse<Response>();
    const error = toApiError(exception);
    if (error.status >= 500) this.logger.error({ err: exception, requestId: request.id, path: request.path }, 'Request failed');
    sendApiError(response, error, request.id);
  }
}

export function sendApiError(response: Response, error: ApiError, requestId: string | undefined): void {
  if (response.headersSent) return;
  if ((error.status === 429 || error.status === 503) && error.details?.['retryAfterSeconds'])
    response.setHeader('Retry-After', String(error.details['retryAfterSeconds']));
  response
    .status(error.status)
    .json({ error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}), ...(requestId ? { requestId } : {}) } });
}
