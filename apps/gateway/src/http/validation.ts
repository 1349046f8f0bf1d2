// Request bodies and queries are validated with zod schemas that refuse unknown fields, so a typo is an error
// rather than silently ignored input.
import type { z } from '@aico/config';
import { badRequest } from './api-error';

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' = 'body'): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  throw badRequest(where === 'body' ? 'INVALID_BODY' : 'INVALID_QUERY', `The request ${where} is not valid: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}.`, { issues });
}
