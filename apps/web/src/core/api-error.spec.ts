import { fromResponse, networkError } from './api-error';

describe('API error mapping', () => {
  it('sends the user back to login for every session problem, with a special word for a reused refresh token', () => {
    expect(fromResponse(401, { error: { code: 'TOKEN_EXPIRED', message: 'expired' } })).toMatchObject({
      kind: 'session-expired',
      code: 'TOKEN_EXPIRED',
      retryable: false,
    });
    expect(fromResponse(401, { error: { code: 'REFRESH_REUSED', message: '' } }).message).toContain('every session of this account was ended');
    expect(fromResponse(401, 'not json').kind).toBe('session-expired');
  });

  it('maps each status to a kind a person can act on, keeping the server message where it helps', () => {
    expect(fromResponse(403, { error: { code: 'FORBIDDEN', message: 'role "user" lacks "users.manage"' } })).toMatchObject({
      kind: 'forbidden',
      message: 'Your account is not allowed to do this.',
    });
    expect(fromResponse(400, { error: { code: 'INVALID_BODY', message: 'text: Too small' } })).toMatchObject({
      kind: 'invalid-input',
      message: 'text: Too small',
    });
    expect(fromResponse(409, {})).toMatchObject({ kind: 'conflict', retryable: false });
    expect(fromResponse(503, { error: { code: 'SERVICE_UNAVAILABLE' } })).toMatchObject({ kind: 'unavailable', retryable: true });
    expect(fromResponse(429, { error: { code: 'ACCOUNT_LOCKED' } }, '8')).toMatchObject({
      kind: 'rate-limited',
      retryAfterSeconds: 8,
      message: 'Too many attempts; try again in 8 s.',
    });
  });

  it('tells a person that the data disk is full or cannot be written (507), and does not retry by itself', () => {
    for (const code of ['STORAGE_DISK_FULL', 'STORAGE_IO', 'MODELS_DISK_FULL']) {
      const error = fromResponse(507, { error: { code, message: 'The disk holding the aico data is full', requestId: 'r-7' } });
      expect(error).toMatchObject({ kind: 'disk-full', code, requestId: 'r-7', retryable: false });
      expect(error.message).toMatch(/^The disk where aico keeps its data is full or cannot be written.*Free some space/);
    }
  });

  it("shows the gateway's message for a 429 without Retry-After (the vault's back-off), and still the seconds when the header is sent", () => {
    const tooMany = fromResponse(429, { error: { code: 'KEYS_TOO_MANY_ATTEMPTS', message: 'Too many wrong passwords (5). Try again in 30 s.' } });
    expect(tooMany).toMatchObject({
      kind: 'rate-limited',
      code: 'KEYS_TOO_MANY_ATTEMPTS',
      retryable: true,
      message: 'Too many wrong passwords (5). Try again in 30 s.',
    });
    expect(tooMany.retryAfterSeconds).toBeUndefined();
    expect(fromResponse(429, 'not json').message).toBe('Too many requests; wait a moment and try again.');
    expect(fromResponse(429, { error: { code: 'ACCOUNT_LOCKED', message: 'Too many failed logins for this account; try again in 8 s.' } }, '8')).toMatchObject({
      retryAfterSeconds: 8,
      message: 'Too many attempts; try again in 8 s.',
    });
  });

  it('names the request id of a server error, and calls a missing answer offline and retryable', () => {
    expect(fromResponse(500, { error: { code: 'INTERNAL', requestId: 'r-42' } })).toMatchObject({
      kind: 'server',
      requestId: 'r-42',
      retryable: true,
      message: expect.stringContaining('request r-42'),
    });
    expect(networkError()).toMatchObject({ kind: 'offline', retryable: true });
  });
});
