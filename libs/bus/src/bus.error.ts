// Errors of the bus, as values with codes. A failed request's reply carries its code across the wire (ErrorInfo);
// the requester turns it back into a RemoteError with the same code.
import type { ErrorInfo } from '@aico/contracts';

export enum BusErrorCode {
  UnknownTopic = 'UNKNOWN_TOPIC',
  WrongPayloadType = 'WRONG_PAYLOAD_TYPE',
  NotPermitted = 'NOT_PERMITTED',
  NotARequestTopic = 'NOT_A_REQUEST_TOPIC',
  DeadlineExceeded = 'DEADLINE_EXCEEDED',
  Cancelled = 'CANCELLED',
  NoHandler = 'NO_HANDLER',
  HandlerFailed = 'HANDLER_FAILED',
  InvalidRequest = 'INVALID_REQUEST',
  BusUnreachable = 'BUS_UNREACHABLE',
  AuthRejected = 'AUTH_REJECTED',
  NotConnected = 'NOT_CONNECTED',
  Closed = 'CLOSED',
  QueueFull = 'SEND_QUEUE_FULL',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
}

export class BusError extends Error {
  override readonly name: string = 'BusError';
  constructor(
    readonly code: BusErrorCode,
    message: string,
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** The typed error reply of a request, as the responder sent it. */
export class RemoteError extends Error {
  override readonly name = 'RemoteError';
  constructor(
    /** The responder's code: a BusErrorCode or a domain code such as `STORAGE_NOT_FOUND`. */
    readonly code: string,
    message: string,
    /** Identity that answered. */
    readonly source: string,
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** Anything a handler may throw that names its own code: BusError, RemoteError, domain errors, Nest RpcException. */
interface CodedError {
  code: string;
  message: string;
  details?: Record<string, string>;
}

function asCodedError(error: unknown): CodedError | undefined {
  if (error instanceof BusError || error instanceof RemoteError) {
    return { code: error.code, message: error.message, details: { ...error.details } };
  }
  // Domain errors of other libs (KeyError, ConfigError, ...) carry an upper-case string code.
  const code: unknown = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  if (error instanceof Error && typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code)) {
    return { code, message: error.message };
  }
  // Nest's RpcException carries `{ code, message }` from getError(); a plain object of that shape is accepted too.
  const rpc = (error as { getError?: () => unknown } | null)?.getError?.() ?? error;
  if (rpc && typeof rpc === 'object' && typeof (rpc as CodedError).code === 'string' && typeof (rpc as CodedError).message === 'string') {
    return { code: (rpc as CodedError).code, message: (rpc as CodedError).message };
  }
  return undefined;
}

/**
 * What a failed handler sends back. Coded errors keep their code and message (their authors wrote them for the
 * caller); anything else becomes HANDLER_FAILED without its message, which may hold internals or secrets.
 */
export function toErrorInfo(error: unknown, topic: string, correlationId: string): Pick<ErrorInfo, 'code' | 'message' | 'details'> {
  const coded = asCodedError(error);
  if (coded) return { code: coded.code, message: coded.message, details: coded.details ?? {} };
  return {
    code: BusErrorCode.HandlerFailed,
    message: `The handler for ${topic} failed unexpectedly; its service log has the details under correlation id ${correlationId}.`,
    details: {},
  };
}
