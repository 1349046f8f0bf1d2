// Request bodies and queries are validated with zod schemas that refuse unknown fields, so a typo is an error
// rather than silently ignored input.
import type { z } from '@aico/config';
import { badRequest } from './api-error';

export interface Issue {
  readonly path: string;
  readonly message: string;
}

export const issuesOf = (error: z.ZodError): Issue[] => error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
export const describeIssues = (issues: readonly Issue[]) => issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' = 'body'): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = issuesOf(result.error);
  throw badRequest(where === 'body' ? 'INVALID_BODY' : 'INVALID_QUERY', `The request ${where} is not valid: ${describeIssues(issues)}.`, { issues });
}
