// The REST API's request bodies and queries, and what its routes answer, as zod schemas. Requests refuse unknown
// fields; answers are strict too, so a field that should not leave the gateway (a password hash) fails the response
// check (gateway.validateResponses). The OpenAPI document is generated from them, so it cannot drift from what the
// gateway accepts and answers.
import { z } from '@aico/config';

export const username = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/, '2-64 letters, digits, dots, dashes or underscores, starting with a letter or digit');
const password = z.string().min(1).max(1024);
const role = z.enum(['admin', 'user', 'guest']);
const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

export const LoginBody = z.strictObject({ username, password, client: z.string().max(64).optional() });
export const RefreshBody = z.strictObject({ refreshToken: z.string().min(1).max(512) });
export const CreateUserBody = z.strictObject({ username, password, role, displayName: z.string().max(128).optional() });
export const UpdateUserBody = z.strictObject({
  role: role.optional(),
  disabled: z.boolean().optional(),
  displayName: z.string().max(128).optional(),
  password: password.optional(),
});
export const ConsentBody = z.strictObject({ granted: z.boolean() });
export const LogsQuery = z.strictObject({
  service: z.string().max(64).optional(),
  minLevel: logLevel.optional(),
  contains: z.string().max(256).optional(),
  correlationId: z.string().max(64).optional(),
  since: z.iso.datetime().optional(),
  until: z.iso.datetime().optional(),
  beforeId: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

// What the routes answer.
const time = z.iso.datetime();

export const TokensResponse = z.strictObject({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  /** Seconds until the access token expires. */
  expiresIn: z.number().int().positive(),
  refreshToken: z.string(),
  user: z.strictObject({ id: z.string(), username: z.string(), role, displayName: z.string() }),
});
export const SessionsResponse = z.strictObject({
  sessions: z.array(z.strictObject({ id: z.uuid(), client: z.string(), createdAt: time, expiresAt: time, current: z.boolean() })),
});
export const LogoutAllResponse = z.strictObject({ ended: z.number().int().min(0) });

export const LivenessResponse = z.strictObject({ status: z.literal('ok'), service: z.string(), version: z.string() });
const AppHealth = z.strictObject({
  service: z.string(),
  status: z.enum(['up', 'down']),
  reason: z.string(),
  lastSeenMsAgo: z.number(),
  version: z.string(),
  pid: z.number().int(),
  instanceId: z.string(),
  uptimeMs: z.number(),
});
const BusHealth = z.strictObject({ roundTripMs: z.number().nullable() });
export const ReadinessResponse = z.strictObject({
  status: z.enum(['ready', 'not-ready']),
  missing: z.array(z.string()).optional(),
  bus: BusHealth,
  apps: z.array(AppHealth),
});

export const UserResponse = z.strictObject({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  role,
  disabled: z.boolean(),
  createdAt: time.nullable(),
});
export const UsersResponse = z.strictObject({ users: z.array(UserResponse) });

export const PurposeStateResponse = z.strictObject({ purpose: z.string(), essential: z.boolean(), granted: z.boolean(), decidedAt: time.nullable() });
export const ConsentResponse = z.strictObject({ purposes: z.array(PurposeStateResponse) });
export const ConsentHistoryResponse = z.strictObject({
  history: z.array(z.strictObject({ purpose: z.string(), granted: z.boolean(), source: z.string(), recordedAt: time.nullable() })),
});

export const SystemStatusResponse = z.strictObject({
  apps: z.array(AppHealth),
  bus: BusHealth,
  database: z.union([
    z.strictObject({ ok: z.boolean(), problems: z.array(z.string()), schemaMigration: z.string(), keyVersion: z.number().int(), sizeBytes: z.number().int() }),
    z.strictObject({ ok: z.literal(false), unavailable: z.string() }),
  ]),
  keys: z.union([
    z.strictObject({
      setUp: z.boolean(),
      keychainHoldsMasterKey: z.boolean(),
      versions: z.array(z.strictObject({ purpose: z.string(), version: z.number().int() })),
    }),
    z.strictObject({ unavailable: z.string() }),
  ]),
});
export const LogsResponse = z.strictObject({
  entries: z.array(
    z.strictObject({
      id: z.number().int(),
      time: time.nullable(),
      level: z.enum([...logLevel.options, 'unknown']),
      service: z.string().optional(),
      message: z.string().optional(),
      correlationId: z.string().optional(),
      fields: z.record(z.string(), z.unknown()).optional(),
    }),
  ),
});
