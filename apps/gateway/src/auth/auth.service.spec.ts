import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { SignJWT } from 'jose';
import type { ApiError } from '../http/api-error';
import { newAuthTestService } from './auth.test-helpers';

const PASSWORD = 'Right-password-2026!';
const codeOf = (result: PromiseSettledResult<unknown>) => (result.status === 'rejected' ? (result.reason as ApiError).code : 'OK');
const count = (codes: string[]) => codes.reduce<Record<string, number>>((counts, code) => ({ ...counts, [code]: (counts[code] ?? 0) + 1 }), {});

describe('AuthService logins', () => {
  it('counts attempts before checking the password: of 30 concurrent wrong passwords only the 5 free ones are checked (finding 5)', async () => {
    const { sut, hasher, addUser } = newAuthTestService({ lockoutFreeAttempts: 5, loginRateLimitPerAccount: 1000 });
    addUser('eve', PASSWORD);
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => sut.login('eve', `wrong-${i}`, 'test')));
    expect(count(results.map(codeOf))).toEqual({ INVALID_CREDENTIALS: 5, ACCOUNT_LOCKED: 25 });
    expect(hasher.checked).toHaveLength(5);
  });

  it('does not let the right password in from inside a burst of wrong ones once the free attempts are spent (finding 5)', async () => {
    const { sut, hasher, addUser } = newAuthTestService({ lockoutFreeAttempts: 5, loginRateLimitPerAccount: 1000 });
    addUser('eve', PASSWORD);
    for (let i = 0; i < 5; i++) await expect(sut.login('eve', `wrong-${i}`, 'test')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    const burst = Array.from({ length: 21 }, (_, i) => (i === 10 ? PASSWORD : `wrong-burst-${i}`));
    const results = await Promise.allSettled(burst.map((password) => sut.login('eve', password, 'test')));
    expect(results.map(codeOf)).toEqual(Array(21).fill('ACCOUNT_LOCKED'));
    expect(hasher.checked).not.toContain(PASSWORD);
  });

  it('counts attempts while their passwords are still being checked: the right password sent meanwhile waits (finding 5)', async () => {
    const { sut, hasher, addUser } = newAuthTestService({ lockoutFreeAttempts: 5, loginRateLimitPerAccount: 1000, passwordHashConcurrency: 8 });
    addUser('eve', PASSWORD);
    hasher.hold();
    const wrong = Promise.allSettled(Array.from({ length: 20 }, (_, i) => sut.login('eve', `wrong-${i}`, 'test')));
    while (hasher.running < 5) await new Promise((resolve) => setImmediate(resolve));
    // Five wrong passwords are being checked, none has failed yet: the free attempts are spent all the same.
    await expect(sut.login('eve', PASSWORD, 'test')).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED' });
    hasher.releaseAll();
    expect(count((await wrong).map(codeOf))).toEqual({ INVALID_CREDENTIALS: 5, ACCOUNT_LOCKED: 15 });
    expect(hasher.checked).not.toContain(PASSWORD);
  });

  it('waits out the backoff on the injected clock, then allows one attempt and doubles the wait', async () => {
    const { sut, clock, addUser } = newAuthTestService({ lockoutFreeAttempts: 2, lockoutBaseDelayMs: 10_000 });
    addUser('eve', PASSWORD);
    for (let i = 0; i < 2; i++) await expect(sut.login('eve', 'wrong', 'test')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await expect(sut.login('eve', PASSWORD, 'test')).rejects.toMatchObject({ status: 429, code: 'ACCOUNT_LOCKED', details: { retryAfterSeconds: 10 } });
    clock.advance(9_999);
    await expect(sut.login('eve', PASSWORD, 'test')).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED', details: { retryAfterSeconds: 1 } });
    clock.advance(1);
    await expect(sut.login('eve', 'wrong', 'test')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await expect(sut.login('eve', PASSWORD, 'test')).rejects.toMatchObject({ code: 'ACCOUNT_LOCKED', details: { retryAfterSeconds: 20 } });
    clock.advance(20_000);
    await expect(sut.login('eve', PASSWORD, 'test')).resolves.toMatchObject({ user: { id: 'eve' } });
    // A success starts the account over.
    await expect(sut.login('eve', 'wrong', 'test')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
  });

  it('gives back an attempt whose password was never checked (hashing queue full)', async () => {
    const { sut, hasher, addUser, storage } = newAuthTestService({
      lockoutFreeAttempts: 3,
      passwordHashConcurrency: 1,
      passwordHashQueueLimit: 0,
      loginRateLimitPerAccount: 1000,
    });
    addUser('eve', PASSWORD);
    addUser('bob', PASSWORD);
    hasher.hold();
    const first = sut.login('bob', PASSWORD, 'test');
    while (hasher.running === 0) await new Promise((resolve) => setImmediate(resolve));
    await expect(sut.login('eve', 'wrong', 'test')).rejects.toMatchObject({ status: 503, code: 'SERVER_BUSY', details: { retryAfterSeconds: 1 } });
    hasher.releaseAll();
    await first;
    expect(JSON.parse(Buffer.from(storage.state.get('gateway.lockout/eve')!.value).toString())).toMatchObject({ attempts: 0 });
  });

  it('limits logins per account whatever their source, and other accounts keep theirs (finding 6)', async () => {
    const { sut, clock, addUser } = newAuthTestService({ loginRateLimitPerAccount: 3, rateLimitWindowMs: 60_000 });
    addUser('ada', PASSWORD);
    addUser('bob', PASSWORD);
    for (let i = 0; i < 3; i++) await expect(sut.login('ada', PASSWORD, `client-${i}`)).resolves.toBeDefined();
    await expect(sut.login('Ada', PASSWORD, 'another-client')).rejects.toMatchObject({
      status: 429,
      code: 'RATE_LIMITED',
      details: { scope: 'account', retryAfterSeconds: 60 },
    });
    await expect(sut.login('bob', PASSWORD, 'test')).resolves.toBeDefined();
    clock.advance(60_000);
    await expect(sut.login('ada', PASSWORD, 'test')).resolves.toBeDefined();
  });
});

describe('AuthService refresh', () => {
  it('a random wrong secret answers REFRESH_INVALID and ends nothing (finding 11)', async () => {
    const { sut, addUser, logs } = newAuthTestService();
    addUser('bob', PASSWORD);
    const first = await sut.login('bob', PASSWORD, 'web');
    const second = await sut.login('bob', PASSWORD, 'cli');
    const sessionId = first.refreshToken.split('.')[0]!;
    await expect(sut.refresh(`${sessionId}.not-the-secret`)).rejects.toMatchObject({ status: 401, code: 'REFRESH_INVALID' });
    await expect(sut.authenticate(first.accessToken)).resolves.toMatchObject({ sub: 'bob' });
    await expect(sut.authenticate(second.accessToken)).resolves.toMatchObject({ sub: 'bob' });
    await expect(sut.refresh(first.refreshToken)).resolves.toMatchObject({ user: { id: 'bob' } });
    expect(JSON.stringify(logs)).not.toContain('not-the-secret');
  });

  it('a secret that was valid and has been rotated away ends every session of the user (finding 11)', async () => {
    const { sut, addUser } = newAuthTestService();
    addUser('bob', PASSWORD);
    const first = await sut.login('bob', PASSWORD, 'web');
    const other = await sut.login('bob', PASSWORD, 'cli');
    const rotated = await sut.refresh(first.refreshToken);
    const again = await sut.refresh(rotated.refreshToken);
    // The oldest secret, two rotations back, is still recognised as spent.
    await expect(sut.refresh(first.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_REUSED' });
    await expect(sut.authenticate(other.accessToken)).rejects.toMatchObject({ code: 'SESSION_ENDED' });
    await expect(sut.refresh(again.refreshToken)).rejects.toMatchObject({ code: 'REFRESH_INVALID' });
  });

  it('spends a secret once when two refreshes race with it', async () => {
    const { sut, addUser } = newAuthTestService();
    addUser('bob', PASSWORD);
    const tokens = await sut.login('bob', PASSWORD, 'web');
    const results = await Promise.allSettled([sut.refresh(tokens.refreshToken), sut.refresh(tokens.refreshToken)]);
    expect(results.map(codeOf).sort()).toEqual(['OK', 'REFRESH_REUSED']);
  });
});

describe('AuthService access tokens', () => {
  it('refuses a token whose session belongs to another user (finding 15)', async () => {
    const { sut, addUser, keys } = newAuthTestService();
    addUser('bob', PASSWORD);
    addUser('mallory', PASSWORD);
    const bob = await sut.login('bob', PASSWORD, 'web');
    const mallory = await sut.login('mallory', PASSWORD, 'web');
    const bobSession = bob.refreshToken.split('.')[0]!;
    const crafted = await new SignJWT({ role: 'user', sid: bobSession })
      .setProtectedHeader({ alg: 'HS256', kid: 'v1' })
      .setSubject('mallory')
      .setIssuer('aico-gateway')
      .setAudience('aico')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(keys.purposeKey('token-signing', 1));
    await expect(sut.authenticate(crafted)).rejects.toMatchObject({ status: 401, code: 'TOKEN_INVALID' });
    // Also while the session's validity is cached from the rightful owner's use.
    await expect(sut.authenticate(bob.accessToken)).resolves.toMatchObject({ sub: 'bob', sid: bobSession });
    await expect(sut.authenticate(crafted)).rejects.toMatchObject({ code: 'TOKEN_INVALID' });
    await expect(sut.authenticate(mallory.accessToken)).resolves.toMatchObject({ sub: 'mallory' });
  });
});

describe('AuthService after a restore', () => {
  it('asks storage again once a restore is done: a session revoked behind its back stops at once', async () => {
    const { sut, addUser, storage } = newAuthTestService();
    addUser('ada', PASSWORD);
    const tokens = await sut.login('ada', PASSWORD, 'web');
    await expect(sut.authenticate(tokens.accessToken)).resolves.toMatchObject({ sub: 'ada' });
    // What a restore does to the restored database: the session is revoked there, not through this gateway.
    const sessionId = tokens.refreshToken.split('.')[0]!;
    storage.sessions.set(sessionId, { ...storage.sessions.get(sessionId)!, revokedAt: timestampFromMs(Date.now()) });
    await expect(sut.authenticate(tokens.accessToken)).resolves.toMatchObject({ sub: 'ada' });
    // Progress short of a finished restore keeps the cache (a backup's phases, a restore still writing).
    sut.backupProgressed({ operation: 'create', phase: 'done' });
    sut.backupProgressed({ operation: 'restore', phase: 'swapping' });
    await expect(sut.authenticate(tokens.accessToken)).resolves.toMatchObject({ sub: 'ada' });
    sut.backupProgressed({ operation: 'restore', phase: 'done' });
    await expect(sut.authenticate(tokens.accessToken)).rejects.toMatchObject({ code: 'SESSION_ENDED' });
  });
});
