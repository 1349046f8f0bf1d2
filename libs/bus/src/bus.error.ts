// Errors of the bus, as values with codes. A failed request's reply carries its code across the wire (ErrorInfo);
// the requester turns it back into a RemoteError with the same code.
import { RpcException } from '@nestjs/microservices';
import { PublicError, type ErrorInfo } from '@aico/contracts';

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
  /** handleStream()/requestStream() on a request topic that declares no `stream` type. */
  NotAStreamTopic = 'NOT_A_STREAM_TOPIC',
  /** A streamed request heard nothing (no delta, no keep-alive) for its idle timeout: the responder died or none runs. */
  StreamStalled = 'STREAM_STALLED',
  /** Deltas of a stream were lost on the way (a sequence number was skipped). */
  StreamGap = 'STREAM_GAP',
  /** The responder of a stream heard no keep-alive from its requester for the idle timeout: the requester is gone. */
  RequesterGone = 'REQUESTER_GONE',
  /** The process answering a stream ended before its final reply (its supervisor reported the crash). */
  ResponderGone = 'RESPONDER_GONE',
}

export class BusError extends PublicError<BusErrorCode> {
  override readonly name: string = 'BusError';
}

/** The typed error reply of a request, as the responder sent it. */
/** `code` is the responder's: a BusErrorCode or a domain code such as `STORAGE_NOT_FOUND`. */
export class RemoteError extends PublicError {
  override readonly name = 'RemoteError';
  constructor(
    code: string,
    message: string,
    /** Identity that answered. */
    readonly source: string,
    details: Readonly<Record<string, string>> = {},
  ) {
    super(code, message, details);
  }
}

interface CodedError {
  code: string;
  message: string;
  details?: Record<string, string>;
}

function isCoded(value: unknown): value is CodedError {
  return typeof value === 'object' && value !== null && typeof (value as CodedError).code === 'string' && typeof (value as CodedError).message === 'string';
}

/** The errors whose code and message may go back to the caller: PublicError, Nest's RpcException, a thrown `{ code, message }`. */
function asPublicError(error: unknown): CodedError | undefined {
  if (error instanceof PublicError) return { code: error.code, message: error.message, details: { ...error.details } };
  if (error instanceof RpcException) {
    const payload = error.getError();
    return isCoded(payload) ? { code: payload.code, message: payload.message } : undefined;
  }
  // Other Errors (system, driver, programming errors) are never forwarded, whatever code they carry.
  if (error instanceof Error) return undefined;
  return isCoded(error) ? { code: error.code, message: error.message } : undefined;
}

/**
 * What a failed handler sends back. Public errors keep their code and message (their authors wrote them for the
 * caller); anything else becomes HANDLER_FAILED without its message, which may hold internals or secrets.
 */
export function toErrorInfo(error: unknown, topic: string, correlationId: string): Pick<ErrorInfo, 'code' | 'message' | 'details'> {
  const coded = asPublicError(error);
  if (coded) return { code: coded.code, message: coded.message, details: coded.details ?? {} };
  return {
    code: BusErrorCode.HandlerFailed,
    message: `The handler for ${topic} failed unexpectedly; its service log has the details under correlation id ${correlationId}.`,
    details: {},
  };
}
