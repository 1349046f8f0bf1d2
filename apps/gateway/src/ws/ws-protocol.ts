// The WebSocket protocol of the gateway as a front end sees it: where it is, its subprotocol, the close codes and
// the codes of error frames. Codes are stable strings (and numbers for closes) a front end can switch on.
export const WS_PATH = '/ws';
export const WS_PROTOCOL = 'aico.v1';

/** Why the gateway closed a socket. 4xxx are aico's own (RFC 6455 leaves 4000-4999 to applications). */
export const WsCloseCode = {
  GoingAway: 1001,
  /** A frame larger than gateway.wsMaxFrameBytes (sent by the ws library itself). */
  TooLarge: 1009,
  /** The session of the socket's token ended (logout, "log out everywhere", a revoked account). */
  SessionEnded: 4001,
  /** The socket's access token expired and no fresh one came in an "auth" frame: reconnect with a fresh token. */
  TokenExpired: 4002,
  /** The client did not read what it was sent. */
  TooSlow: 4008,
  /** The client kept sending after being told RATE_LIMITED (gateway.wsRateLimitedBeforeClose). */
  RateLimited: 4029,
  /** The user has gateway.wsMaxConnectionsPerUser sockets open already. */
  TooManyConnections: 4030,
} as const;

/** Codes of `{ "type": "error", "code", "message" }` frames. */
export enum WsErrorCode {
  /** Not JSON, or JSON that is not an object with a string "type". */
  MalformedFrame = 'MALFORMED_FRAME',
  /** Binary frames carry nothing in this protocol. */
  BinaryFrame = 'BINARY_FRAME',
  UnknownFrame = 'UNKNOWN_FRAME',
  /** A known frame type with missing, extra or wrongly typed fields. */
  InvalidFrame = 'INVALID_FRAME',
  ForbiddenTopic = 'FORBIDDEN_TOPIC',
  TooManySubscriptions = 'TOO_MANY_SUBSCRIPTIONS',
  InvalidPayload = 'INVALID_PAYLOAD',
  PublishFailed = 'PUBLISH_FAILED',
  RateLimited = 'RATE_LIMITED',
  /** An "auth" frame's token is of another user or session. */
  AuthMismatch = 'AUTH_MISMATCH',
  TokenInvalid = 'TOKEN_INVALID',
  TokenExpired = 'TOKEN_EXPIRED',
  SessionEnded = 'SESSION_ENDED',
  /** The token could not be checked now (storage did not answer): try again. */
  AuthUnavailable = 'AUTH_UNAVAILABLE',
  /** A defect of the gateway, not of the frame; logged. */
  Internal = 'INTERNAL_ERROR',
}
