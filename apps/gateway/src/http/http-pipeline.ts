// What every REST request passes before a controller: a request id, security headers (helmet, with a Content
// Security Policy for the web client served on the same origin: web-client.ts), CORS only for the
// configured origins, JSON bodies only (415 otherwise), a size limit (413), and malformed JSON refused (400) — each
// answered in the API's one error shape.
import { randomUUID } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import type { Logger } from '@aico/logging';
import { ApiError } from './api-error';
import { ApiExceptionFilter, sendApiError } from './api-exception.filter';

export interface HttpPipelineOptions {
  readonly maxBodyBytes: number;
  readonly corsOrigins: readonly string[];
  readonly logger: Logger;
}

// The web client: its own scripts only, no inline script; inline styles for React's style attributes; images and
// workers from blob: (charts, generated images); fetch and the WebSocket to this origin ('self' covers wss: to the
// same host and port); never framed.
const CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    connectSrc: ["'self'"],
    workerSrc: ["'self'", 'blob:'],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
};

const hasBody = (request: Request) => Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;

export function configureHttpPipeline(app: INestApplication, options: HttpPipelineOptions): void {
  app.use((request: Request & { id?: string }, response: Response, next: NextFunction) => {
    request.id = randomUUID();
    response.setHeader('X-Request-Id', request.id);
    next();
  });
  app.use(helmet({ contentSecurityPolicy: CONTENT_SECURITY_POLICY }));
  if (options.corsOrigins.length > 0) app.enableCors({ origin: [...options.corsOrigins], credentials: false });
  app.use((request: Request & { id?: string }, response: Response, next: NextFunction) => {
    if (['POST', 'PUT', 'PATCH'].includes(request.method) && hasBody(request) && !request.is('application/json')) {
      sendApiError(response, new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'Request bodies are JSON: send Content-Type: application/json.'), request.id);
      return;
    }
    next();
  });
  app.use(express.json({ limit: options.maxBodyBytes, strict: true, type: 'application/json' }));
  app.use((error: { type?: string; status?: number }, request: Request & { id?: string }, response: Response, next: NextFunction) => {
    if (error.type === 'entity.too.large') {
      sendApiError(response, new ApiError(413, 'BODY_TOO_LARGE', `The request body is larger than ${options.maxBodyBytes} bytes.`), request.id);
    } else if (error.type === 'entity.parse.failed') {
      sendApiError(response, new ApiError(400, 'MALFORMED_JSON', 'The request body is not valid JSON.'), request.id);
    } else if (error.type !== undefined) {
      sendApiError(response, new ApiError(error.status ?? 400, 'BAD_BODY', 'The request body could not be read.'), request.id);
    } else {
      next(error);
    }
  });
  app.useGlobalFilters(new ApiExceptionFilter(options.logger));
}
