// The one error shape of the REST API: `{ "error": { "code", "message", "details"?, "requestId" } }` with an HTTP
// status. Codes are stable strings a front end can switch on; messages are for people and never hold secrets.
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

export const unauthorized = (code: string, message: string) => new ApiError(401, code, message);
export const forbidden = (message: string) => new ApiError(403, 'FORBIDDEN', message);
export const badRequest = (code: string, message: string, details?: Readonly<Record<string, unknown>>) => new ApiError(400, code, message, details);
export const notFound = (message: string) => new ApiError(404, 'NOT_FOUND', message);
