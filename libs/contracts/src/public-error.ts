// The base of every error whose code and message were written for the caller (a string-enum code and a message
// that says what to do next, never a secret). Only these, plus Nest's RpcException, travel back in an error
// reply; any other error becomes HANDLER_FAILED without its message, which may hold paths, queries or credentials.
export abstract class PublicError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    /** Structured facts for the caller; no secrets. */
    readonly details: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}
