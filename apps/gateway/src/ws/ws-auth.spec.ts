import { unauthorized } from '../http/api-error';
import { authFailure, tokenExpiresAtMs, tokenSession } from './ws-auth';

const jwt = (claims: Record<string, unknown>) =>
  `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;

describe('what the WebSocket bridge reads of tokens', () => {
  it('tells a client the code of an authentication failure, and nothing of an unexpected one', () => {
    expect(authFailure(unauthorized('TOKEN_EXPIRED', 'The access token has expired: refresh it.'))).toEqual({
      status: 401,
      code: 'TOKEN_EXPIRED',
      message: 'The access token has expired: refresh it.',
    });
    const internal = authFailure(new Error('storage at tcp://127.0.0.1:5555 did not answer'));
    expect(internal).toEqual({ status: 503, code: 'AUTH_UNAVAILABLE', message: 'The access token could not be checked now; try again.' });
  });

  it("reads a token's expiry and session, and undefined where it says none or is not a token", () => {
    expect(tokenExpiresAtMs(jwt({ exp: 1_800_000_000, sid: 's-1' }))).toBe(1_800_000_000_000);
    expect(tokenSession(jwt({ exp: 1_800_000_000, sid: 's-1' }))).toBe('s-1');
    for (const token of [jwt({ exp: 'soon', sid: 7 }), jwt({}), 'not a token', '']) {
      expect([tokenExpiresAtMs(token), tokenSession(token)]).toEqual([undefined, undefined]);
    }
  });
});
