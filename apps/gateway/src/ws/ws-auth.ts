// What the WebSocket bridge needs to know of access tokens beyond AuthService.authenticate: how a failure is told to a
// client, and when a token (already verified) expires, so the socket can be closed then.
import { decodeJwt } from 'jose';
import { ApiError } from '../http/api-error';
import { WsErrorCode } from './ws-protocol';

/** An authentication failure as a code and message a client may see (storage trouble says only "try again"). */
export function authFailure(error: unknown): { status: number; code: string; message: string } {
  if (error instanceof ApiError) return { status: error.status, code: error.code, message: error.message };
  return { status: 503, code: WsErrorCode.AuthUnavailable, message: 'The access token could not be checked now; try again.' };
}

/** When a (verified) access token expires; undefined when it does not say. */
export function tokenExpiresAtMs(token: string): number | undefined {
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** The session a token names, read without verifying (only to decide whether a refusal is about this socket). */
export function tokenSession(token: string): string | undefined {
  try {
    const { sid } = decodeJwt(token);
    return typeof sid === 'string' ? sid : undefined;
  } catch {
    return undefined;
  }
}
