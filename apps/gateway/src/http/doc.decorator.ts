// Every REST route describes itself for the OpenAPI document: a summary and the schema of what it answers (none for
// a 204); the schemas of its body and query come from the @ValidBody / @ValidQuery that validate them (valid-input.ts). The document is built from these (openapi-document.ts), and with
// gateway.validateResponses every JSON answer is checked against its schema (response-validation.interceptor.ts).
import { SetMetadata } from '@nestjs/common';
import type { z } from '@aico/config';

export const DOC_METADATA = 'aico:doc';

export interface RouteDoc {
  readonly summary: string;
  /** From the handler's @ValidBody. */
  readonly body?: z.ZodType;
  /** From the handler's @ValidQuery. */
  readonly query?: z.ZodType;
  /** What the route answers with its success status; absent only for a route that answers 204. */
  readonly response?: z.ZodType;
  /**
   * For a route that answers a file rather than JSON (a thread's export): its content types. The body is the file's
   * text (`response` is then z.string()).
   */
  readonly fileTypes?: readonly string[];
  /** Other statuses that answer with the same schema (readiness answers 503 with its report). */
  readonly alsoAnswers?: readonly number[];
}

export const Doc = (summary: string, schemas: Omit<RouteDoc, 'summary' | 'body' | 'query'> = {}) =>
  SetMetadata(DOC_METADATA, { summary, ...schemas } satisfies RouteDoc);
