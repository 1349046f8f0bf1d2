// One declaration per request schema: @ValidBody(schema) and @ValidQuery(schema) on a handler's parameter validate
// what the route receives (zod schemas that refuse unknown fields, so a typo is an error rather than silently ignored
// input) and record the schema on the handler, where the OpenAPI document reads it (declared-routes.ts). The handler
// receives the parsed, typed value, and the document cannot describe a body the route does not check.
import { Body, Query, type PipeTransform } from '@nestjs/common';
import type { z } from '@aico/config';
import { badRequest } from './api-error';
import { describeIssues, issuesOf } from './validation';

export const INPUT_METADATA = 'aico:input';

type Where = 'body' | 'query';

/** The request schemas a handler declared with @ValidBody / @ValidQuery. */
export type RouteInput = Partial<Record<Where, z.ZodType>>;

/** What a handler parameter declared with `@ValidBody(schema)` receives. */
export type Input<S extends z.ZodType> = z.output<S>;

export interface InputChecks<S extends z.ZodType> {
  /** Runs on the raw value before the schema: for a route whose own error code must win over INVALID_BODY. */
  readonly before?: (raw: unknown) => void;
  /** Runs on the parsed value: rules a JSON Schema cannot say, with their own error codes. */
  readonly after?: (input: z.output<S>) => void;
}

export class ZodInputPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly where: Where,
    private readonly checks: InputChecks<S> = {},
  ) {}

  transform(value: unknown): z.output<S> {
    this.checks.before?.(value);
    // An absent body or query is an empty object: the schema then names the missing fields.
    const result = this.schema.safeParse(value ?? {});
    if (!result.success) {
      const issues = issuesOf(result.error);
      throw badRequest(this.where === 'body' ? 'INVALID_BODY' : 'INVALID_QUERY', `The request ${this.where} is not valid: ${describeIssues(issues)}.`, {
        issues,
      });
    }
    this.checks.after?.(result.data);
    return result.data;
  }
}

/** The schemas declared on a handler (the function itself: Nest's route metadata sits there too). */
export const declaredInput = (handler: object): RouteInput => (Reflect.getMetadata(INPUT_METADATA, handler) as RouteInput | undefined) ?? {};

function recordInput(where: Where, schema: z.ZodType, target: object, key: string | symbol | undefined): void {
  const handler = key === undefined ? undefined : (target as Record<string | symbol, unknown>)[key];
  if (typeof handler !== 'function') throw new Error(`@Valid${where === 'body' ? 'Body' : 'Query'} belongs on a parameter of a route handler`);
  const declared = declaredInput(handler);
  if (declared[where]) throw new Error(`${String(key)} declares its ${where} twice`);
  Reflect.defineMetadata(INPUT_METADATA, { ...declared, [where]: schema }, handler);
}

/** The request body, validated against `schema` and documented with it. */
export const ValidBody =
  <S extends z.ZodType>(schema: S, checks?: InputChecks<S>): ParameterDecorator =>
  (target, key, index) => {
    recordInput('body', schema, target, key);
    Body(new ZodInputPipe(schema, 'body', checks))(target, key, index);
  };

/** The query string, validated against `schema` and documented with it (one query parameter per property). */
export const ValidQuery =
  <S extends z.ZodType>(schema: S): ParameterDecorator =>
  (target, key, index) => {
    recordInput('query', schema, target, key);
    Query(new ZodInputPipe(schema, 'query'))(target, key, index);
  };
