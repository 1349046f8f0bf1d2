// The REST API's request bodies and queries, as zod schemas. They refuse unknown fields, and the OpenAPI document
// is generated from them, so the document cannot drift from what the gateway accepts.
import { z } from '@aico/config';

export const username = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/, '2-64 letters, digits, dots, dashes or underscores, starting with a letter or digit');
const password = z.string().min(1).max(1024);
const role = z.enum(['admin', 'user', 'guest']);

export const LoginBody = z.strictObject({ username, password, client: z.string().max(64).optional() });
export const RefreshBody = z.strictObject({ refreshToken: z.string().min(1).max(512) });
export const CreateUserBody = z.strictObject({ username, password, role, displayName: z.string().max(128).optional() });
export const UpdateUserBody = z.strictObject({ role: role.optional(), disabled: z.boolean().optional(), displayName: z.string().max(128).optional(), password: password.optional() });
export const ConsentBody = z.strictObject({ granted: z.boolean() });
export const ConversationMessageBody = z.strictObject({ text: z.string().min(1).max(16_000), conversationId: z.string().max(64).optional(), client: z.string().max(64).optional() });
export const LogsQuery = z.strictObject({
  service: z.string().max(64).optional(),
  minLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).optional(),
  contains: z.string().max(256).optional(),
  correlationId: z.string().max(64).optional(),
  since: z.iso.datetime().optional(),
  until: z.iso.datetime().optional(),
  beforeId: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
