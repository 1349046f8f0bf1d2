// What every REST request passes before a controller: a request id, security headers (helmet, with a Content
// Security Policy for the web client served on the same origin: web-client.ts), CORS only for the
// configured origins, JSON bodies only (415 otherwise), a size limit (413, counted after decompression), malformed
// JSON refused (400), and compressed bodies (gzip, deflate, br) that do not decompress refused (400
// BAD_CONTENT_ENCODING; an encoding we do not speak is 415) — each answered in the API's one error shape.
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
  app.use((error: BodyError, request: Request & { id?: string }, response: Response, next: NextFunction) => {
    const refusal = bodyErrorAnswer(error, options.maxBodyBytes);
    if (refusal) sendApiError(response, refusal, request.id);
    else next(error);
  });
  app.useGlobalFilters(new ApiExceptionFilter(options.logger));
}

/** What body-parser hands on: its own errors carry a `type`; a body that would not decompress is zlib's error. */
interface BodyError {
  readonly type?: string;
  readonly status?: number;
  readonly code?: string;
}

// zlib's codes for input it cannot decompress: Z_DATA_ERROR, Z_BUF_ERROR (truncated), and brotli's ERR__ERROR_*.
const isDecompressionError = (code: string | undefined) => code !== undefined && (/^Z_[A-Z_]+$/.test(code) || code.startsWith('ERR__ERROR_'));

/** The answer to an error reading a request body, or undefined for errors that are not about the body. */
export function bodyErrorAnswer(error: BodyError, maxBodyBytes: number): ApiError | undefined {
  switch (error.type) {
    case 'entity.too.large':
      return new ApiError(413, 'BODY_TOO_LARGE', `The request body is larger than ${maxBodyBytes} bytes.`);
    case 'entity.parse.failed':
      return new ApiError(400, 'MALFORMED_JSON', 'The request body is not valid JSON.');
    case 'encoding.unsupported':
      return new ApiError(
        415,
        'UNSUPPORTED_CONTENT_ENCODING',
        'The body is compressed in a way the gateway does not read: send it uncompressed, or as gzip, deflate or br.',
      );
    case undefined:
      if (isDecompressionError(error.code))
        return new ApiError(400, 'BAD_CONTENT_ENCODING', 'The request body does not decompress as its Content-Encoding says (truncated or corrupt).');
      return undefined;
    default:
      return new ApiError(error.status ?? 400, 'BAD_BODY', 'The request body could not be read.');
  }
}
