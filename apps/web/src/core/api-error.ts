// One error model for the web client: whatever went wrong with a gateway call (no network, the gateway's JSON
// error shape, a non-JSON failure) becomes a kind the UI acts on and a message a person understands.
export type ApiErrorKind =
  'offline' | 'session-expired' | 'forbidden' | 'not-found' | 'invalid-input' | 'conflict' | 'rate-limited' | 'unavailable' | 'disk-full' | 'server';

export interface ClientError {
  readonly kind: ApiErrorKind;
  /** For people: what happened and what to do. */
  readonly message: string;
  /** The gateway's code, when it sent one (e.g. TOKEN_EXPIRED). */
  readonly code?: string;
  /** Whether trying the same request again may succeed. */
  readonly retryable: boolean;
  /** Seconds to wait before retrying, when the gateway said. */
  readonly retryAfterSeconds?: number;
  /** The gateway's request id, to quote when reporting a problem. */
  readonly requestId?: string;
}

/** The gateway's error body: `{ "error": { code, message, details?, requestId? } }`. */
interface GatewayErrorBody {
  readonly error?: { readonly code?: unknown; readonly message?: unknown; readonly requestId?: unknown };
}

const SESSION_CODES = new Set(['TOKEN_MISSING', 'TOKEN_EXPIRED', 'TOKEN_INVALID', 'SESSION_ENDED', 'REFRESH_INVALID', 'REFRESH_REUSED']);

const DISK_FULL_MESSAGE =
  'The disk where aico keeps its data is full or cannot be written, so this was not saved. Free some space on that disk (or ask whoever runs aico to), then try again.';

/** A fetch that never got an HTTP answer: the network or the gateway is gone. */
export function networkError(): ClientError {
  return { kind: 'offline', message: 'aico cannot be reached. Check that it is running; this page retries by itself.', retryable: true };
}

export function fromResponse(status: number, body: unknown, retryAfterHeader?: string | null): ClientError {
  const error = (body as GatewayErrorBody | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const serverMessage = typeof error?.message === 'string' ? error.message : undefined;
  const requestId = typeof error?.requestId === 'string' ? error.requestId : undefined;
  const extra = { ...(code ? { code } : {}), ...(requestId ? { requestId } : {}) };
  if (status === 401 || (code && SESSION_CODES.has(code))) {
    return {
      kind: 'session-expired',
      message:
        code === 'REFRESH_REUSED'
          ? 'For your safety every session of this account was ended. Please log in again.'
          : 'Your session has ended. Please log in again.',
      retryable: false,
      ...extra,
    };
  }
  if (status === 403) return { kind: 'forbidden', message: 'Your account is not allowed to do this.', retryable: false, ...extra };
  if (status === 404) return { kind: 'not-found', message: serverMessage ?? 'This was not found.', retryable: false, ...extra };
  if (status === 409)
    return { kind: 'conflict', message: serverMessage ?? 'Someone changed this meanwhile; reload and try again.', retryable: false, ...extra };
  if (status === 429) {
    const seconds = Number(retryAfterHeader);
    // Without a Retry-After (a vault's wrong-password back-off, KEYS_TOO_MANY_ATTEMPTS) the gateway's message says how long.
    return {
      kind: 'rate-limited',
      message:
        Number.isFinite(seconds) && seconds > 0
          ? `Too many attempts; try again in ${seconds} s.`
          : (serverMessage ?? 'Too many requests; wait a moment and try again.'),
      retryable: true,
      ...(Number.isFinite(seconds) && seconds > 0 ? { retryAfterSeconds: seconds } : {}),
      ...extra,
    };
  }
  if (status === 400 || status === 413 || status === 415)
    return { kind: 'invalid-input', message: serverMessage ?? 'The request was not valid.', retryable: false, ...extra };
  // 507: storage refused a write because its disk is full or cannot be written (STORAGE_DISK_FULL, STORAGE_IO,
  // MODELS_DISK_FULL). Retrying will not help until someone frees space, so it is not retried by itself.
  if (status === 507) return { kind: 'disk-full', message: DISK_FULL_MESSAGE, retryable: false, ...extra };
  if (status === 503 || status === 502 || status === 504)
    return { kind: 'unavailable', message: 'A part of aico is not answering right now; try again shortly.', retryable: true, ...extra };
  return {
    kind: 'server',
    message: requestId
      ? `Something went wrong inside aico (request ${requestId}). Try again; if it keeps happening, the log has the details.`
      : 'Something went wrong inside aico. Try again.',
    retryable: true,
    ...extra,
  };
}
