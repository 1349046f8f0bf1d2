// Every error leaving the REST API in the one shape (see ApiError). Bus and storage errors keep their code when a
// caller can act on it (bad input, conflicts, not found; the conversation and models codes by domain-error-status.ts)
// and become 503 when a service did not answer; anything
// else is a 500 that names only the request id (the log has the rest).
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PublicError } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { ApiError } from './api-error';
import { domainErrorStatus } from './domain-error-status';

const UNAVAILABLE = new Set(['DEADLINE_EXCEEDED', 'NOT_CONNECTED', 'BUS_UNREACHABLE', 'STORAGE_NOT_ACKNOWLEDGED', 'STORAGE_SHUTTING_DOWN', 'STORAGE_BUSY', 'NO_HANDLER']);
const CONFLICT = new Set(['STORAGE_VERSION_CONFLICT', 'STORAGE_CONSTRAINT']);
const BAD_INPUT = /^(STORAGE_(INVALID_TEXT|INVALID_ARGUMENT|VALUE_TOO_LARGE|UNKNOWN_RECORD_KIND)|KEYS_WEAK_PASSWORD|INVALID_REQUEST)$/;

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = status === 404 ? 'NOT_FOUND' : status === 429 ? 'RATE_LIMITED' : status === 405 ? 'METHOD_NOT_ALLOWED' : `HTTP_${status}`;
    const message = status === 404 ? 'No such route.' : status === 429 ? 'Too many requests; slow down and retry later.' : error.message;
    return new ApiError(status, code, message);
  }
  if (error instanceof PublicError) {
    if (UNAVAILABLE.has(error.code)) return new ApiError(503, 'SERVICE_UNAVAILABLE', 'A service this request needs did not answer; retry shortly.', { cause: error.code });
    // A full disk is the one storage failure the person at the keyboard can fix; say so instead of a bare 500.
    if (error.code === 'STORAGE_DISK_FULL') return new ApiError(503, 'STORAGE_DISK_FULL', 'The disk holding the aico data is full, so nothing could be saved: free some space there, then retry ("aico status" shows the free space).', { retryAfterSeconds: 30 });
    if (CONFLICT.has(error.code)) return new ApiError(409, error.code, error.message);
    if (BAD_INPUT.test(error.code)) return new ApiError(400, error.code, error.message);
    if (error.code === 'NOT_PERMITTED' || error.code === 'STORAGE_NOT_PERMITTED' || error.code === 'SCHEDULER_NOT_PERMITTED') return new ApiError(403, 'FORBIDDEN', error.message);
    if (error.code === 'SCHEDULER_UNKNOWN_TASK') return new ApiError(404, 'NOT_FOUND', error.message);
    if (error.code === 'SCHEDULER_NOT_READY') return new ApiError(503, 'SERVICE_UNAVAILABLE', error.message);
    // The conversation and models services' own codes, with their message (written for people, no secrets).
    const domain = domainErrorStatus(error.code);
    if (domain) return new ApiError(domain.status, error.code, error.message, domain.retryAfterSeconds ? { retryAfterSeconds: domain.retryAfterSeconds } : undefined);
  }
  return new ApiError(500, 'INTERNAL', 'The request failed inside the gateway; the log has the details under this request id.');
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
  if ((error.status === 429 || error.status === 503) && error.details?.['retryAfterSeconds']) response.setHeader('Retry-After', String(error.details['retryAfterSeconds']));
  response.status(error.status).json({ error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}), ...(requestId ? { requestId } : {}) } });
}
