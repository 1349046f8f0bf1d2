// Logins, refresh-token rotation with reuse detection, logout, and the lockout that slows password guessing.
// Users and sessions live in storage (the gateway keeps no state of its own beyond short caches). A refresh token is
// "<session id>.<secret>"; storage keeps only the secret's SHA-256. Each refresh replaces the secret: presenting a
// replaced one means the token was copied, and every session of that user is revoked. Whoever holds a session open
// elsewhere (the WebSocket bridge) hears at once when sessions end (onSessionsEnded).
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import { RecordKind, type Session, type User } from '@aico/contracts';
import { decoyUserPasswordHash, verifyUserPassword } from '@aico/key-manager';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { StorageClient } from '@aico/storage-client';
import { ApiError, unauthorized } from '../http/api-error';
import type { GatewayConfig } from '../gateway.config';
import { TokenService, type AccessClaims } from './token.service';

export interface IssuedTokens {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
  readonly refreshToken: string;
  readonly user: { readonly id: string; readonly username: string; readonly role: string; readonly displayName: string };
}

interface Lockout {
  failures: number;
  lastFailureAt: number;
}

const LOCKOUT_NAMESPACE = 'gateway.lockout';
const SESSION_CACHE_MS = 5_000;
const MAX_LOCKOUT_MS = 15 * 60_000;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
export const userIdOf = (username: string) => username.trim().toLowerCase();

@Injectable()
export class AuthService {
  /** Session validity by id, briefly cached; revocations made here update it at once. */
  private readonly sessions = new Map<string, { valid: boolean; checkedAt: number }>();
  private readonly endedListeners = new Set<(sessionIds: readonly string[]) => void>();

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly storage: StorageClient,
    private readonly tokens: TokenService,
  ) {}

  async login(username: string, password: string, client: string): Promise<IssuedTokens> {
    const userId = userIdOf(username);
    await this.assertNotLockedOut(userId);
    const found = await this.storage.getRecord(RecordKind.USER, userId);
    const user = found.record?.kind.case === 'user' ? found.record.kind.value : undefined;
    // A missing user costs the same Argon2 time as a wrong password, so timing does not tell which it was.
    const valid = await verifyUserPassword(user?.passwordHash ?? (await decoyUserPasswordHash()), password);
    if (!user || !valid) {
      await this.recordFailure(userId);
      this.logger.warn({ userId, client }, 'Login refused: wrong username or password');
      throw unauthorized('INVALID_CREDENTIALS', 'Wrong username or password.');
    }
    if (user.disabled) throw new ApiError(403, 'ACCOUNT_DISABLED', 'This account is disabled; ask an administrator.');
    await this.storage.deleteState(LOCKOUT_NAMESPACE, userId);
    const sessionId = randomUUID();
    const secret = randomBytes(32).toString('base64url');
    const now = Date.now();
    await this.storage.putRecord({
      kind: {
        case: 'session',
        value: { id: sessionId, userId, tokenHash: sha256(secret), client, createdAt: timestampFromMs(now), expiresAt: timestampFromMs(now + this.config.gateway.refreshTokenTtlDays * 86_400_000) },
      },
    });
    this.logger.info({ userId, sessionId, client }, 'Logged in');
    return this.issue(user, sessionId, secret);
  }

  async refresh(refreshToken: string): Promise<IssuedTokens> {
    const [sessionId, secret, extra] = refreshToken.split('.');
    if (!sessionId || !secret || extra !== undefined) throw unauthorized('REFRESH_INVALID', 'The refresh token is not valid.');
    const session = await this.session(sessionId);
    if (!session || session.revokedAt || !session.expiresAt || timestampMs(session.expiresAt) < Date.now()) {
      throw unauthorized('REFRESH_INVALID', 'The refresh token is not valid, expired, or its session has ended: log in again.');
    }
    const presented = Buffer.from(sha256(secret), 'hex');
    const current = Buffer.from(session.tokenHash, 'hex');
    if (presented.length !== current.length || !timingSafeEqual(presented, current)) {
      const revoked = await this.revokeAllSessions(session.userId);
      this.logger.warn({ userId: session.userId, sessionId, revoked }, 'A replaced refresh token was presented again: every session of the user is revoked');
      throw unauthorized('REFRESH_REUSED', 'This refresh token was already used. For safety every session of this account has been ended: log in again.');
    }
    const found = await this.storage.getRecord(RecordKind.USER, session.userId);
    const user = found.record?.kind.case === 'user' ? found.record.kind.value : undefined;
    if (!user || user.disabled) throw unauthorized('REFRESH_INVALID', 'The account of this session no longer exists or is disabled.');
    const next = randomBytes(32).toString('base64url');
    await this.storage.putRecord({ kind: { case: 'session', value: { ...session, tokenHash: sha256(next) } } });
    return this.issue(user, sessionId, next);
  }

  async logout(sessionId: string): Promise<void> {
    const session = await this.session(sessionId);
    if (session && !session.revokedAt) await this.revoke(session);
    this.ended([sessionId]);
  }

  /** The open sessions of a user (not ended, not expired), oldest first. */
  async openSessions(userId: string): Promise<Session[]> {
    const open: Session[] = [];
    for await (const record of this.storage.allRecords(RecordKind.SESSION, userId)) {
      if (record.kind.case !== 'session') continue;
      const session = record.kind.value;
      if (!session.revokedAt && session.expiresAt && timestampMs(session.expiresAt) > Date.now()) open.push(session);
    }
    return open.sort((a, b) => (a.createdAt ? timestampMs(a.createdAt) : 0) - (b.createdAt ? timestampMs(b.createdAt) : 0));
  }

  /** Ends one open session of a user; false when the user has no such session (another user's counts as none). */
  async endSession(userId: string, sessionId: string): Promise<boolean> {
    const session = await this.session(sessionId);
    if (!session || session.userId !== userId || session.revokedAt) return false;
    await this.revoke(session);
    this.ended([sessionId]);
    return true;
  }

  /** Ends every session of a user (log out everywhere, refresh reuse, password change, account disabled or deleted). */
  async revokeAllSessions(userId: string): Promise<number> {
    const ids: string[] = [];
    let revoked = 0;
    for await (const record of this.storage.allRecords(RecordKind.SESSION, userId)) {
      if (record.kind.case !== 'session') continue;
      ids.push(record.kind.value.id);
      if (record.kind.value.revokedAt) continue;
      await this.revoke(record.kind.value);
      revoked++;
    }
    this.ended(ids);
    return revoked;
  }

  /** Calls `listener` with the ids of sessions as they end here; returns the unsubscribe. */
  onSessionsEnded(listener: (sessionIds: readonly string[]) => void): () => void {
    this.endedListeners.add(listener);
    return () => this.endedListeners.delete(listener);
  }

  /** The claims of a valid access token whose session is still open. */
  async authenticate(accessToken: string): Promise<AccessClaims> {
    const claims = await this.tokens.verify(accessToken);
    const cached = this.sessions.get(claims.sid);
    let valid = cached && Date.now() - cached.checkedAt < SESSION_CACHE_MS ? cached.valid : undefined;
    if (valid === undefined) {
      const session = await this.session(claims.sid);
      valid = session !== undefined && !session.revokedAt;
      this.sessions.set(claims.sid, { valid, checkedAt: Date.now() });
    }
    if (!valid) throw unauthorized('SESSION_ENDED', 'The session of this token has ended: log in again.');
    return claims;
  }

  private async revoke(session: Session): Promise<void> {
    await this.storage.putRecord({ kind: { case: 'session', value: { ...session, revokedAt: timestampFromMs(Date.now()) } } });
  }

  private ended(sessionIds: readonly string[]): void {
    for (const id of sessionIds) this.sessions.set(id, { valid: false, checkedAt: Date.now() });
    if (sessionIds.length === 0) return;
    for (const listener of this.endedListeners) listener(sessionIds);
  }

  private async session(sessionId: string): Promise<Session | undefined> {
    if (!/^[0-9a-f-]{36}$/.test(sessionId)) return undefined;
    const found = await this.storage.getRecord(RecordKind.SESSION, sessionId);
    return found.record?.kind.case === 'session' ? found.record.kind.value : undefined;
  }

  private async issue(user: User, sessionId: string, secret: string): Promise<IssuedTokens> {
    return {
      accessToken: await this.tokens.sign({ sub: user.id, role: user.role, sid: sessionId }),
      tokenType: 'Bearer',
      expiresIn: this.tokens.ttlSeconds,
      refreshToken: `${sessionId}.${secret}`,
      user: { id: user.id, username: user.username, role: user.role, displayName: user.displayName },
    };
  }

  private async assertNotLockedOut(userId: string): Promise<void> {
    const lockout = await this.readLockout(userId);
    const waitMs = this.lockoutWaitMs(lockout);
    if (waitMs > 0) {
      const retryAfterSeconds = Math.ceil(waitMs / 1000);
      throw new ApiError(429, 'ACCOUNT_LOCKED', `Too many failed logins for this account; try again in ${retryAfterSeconds} s.`, { retryAfterSeconds });
    }
  }

  private lockoutWaitMs(lockout: Lockout | undefined): number {
    const free = this.config.gateway.lockoutFreeAttempts;
    if (!lockout || lockout.failures < free) return 0;
    const backoff = Math.min(1000 * 2 ** (lockout.failures - free), MAX_LOCKOUT_MS);
    return Math.max(0, lockout.lastFailureAt + backoff - Date.now());
  }

  private async readLockout(userId: string): Promise<Lockout | undefined> {
    const entry = await this.storage.getState(LOCKOUT_NAMESPACE, userId);
    if (!entry.found || !entry.entry) return undefined;
    try {
      return JSON.parse(Buffer.from(entry.entry.value).toString('utf8')) as Lockout;
    } catch {
      return undefined;
    }
  }

  private async recordFailure(userId: string): Promise<void> {
    const previous = await this.readLockout(userId);
    const next: Lockout = { failures: (previous?.failures ?? 0) + 1, lastFailureAt: Date.now() };
    await this.storage.putState(LOCKOUT_NAMESPACE, userId, Buffer.from(JSON.stringify(next)));
  }
}
