// zod issues as the API reports them: in a 400 for a request (valid-input.ts), a 500 for an answer that does not
// match its schema (response-validation.interceptor.ts) and a WebSocket frame's error (ws-frames.ts).
import type { z } from '@aico/config';

export interface Issue {
  readonly path: string;
  readonly message: string;
}

export const issuesOf = (error: z.ZodError): Issue[] => error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
export const describeIssues = (issues: readonly Issue[]) => issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
