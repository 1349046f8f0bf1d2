// Logins, refresh-token rotation with reuse detection, logout, and the checks that slow password guessing.
// Users and sessions live in storage (the gateway keeps no state of its own beyond short caches and the per-account
// rate windows). A login passes, in order: the per-account lockout (login-lockout.ts: the attempt is counted before
// the password is checked), the per-account rate limit, and the bounded password-hashing queue. A refresh token is
// "<session id>.<secret>"; storage keeps only the secret's SHA-256. Each refresh replaces the secret and remembers the
// old one as spent: presenting a spent one means the token was copied, and every session of that user is revoked; a
// secret that was never valid is refused and ends nothing. Whoever holds a session open elsewhere (the WebSocket
// bridge) hears at once when sessions end (onSessionsEnded).
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { timestampFromMs, timestampMs } from '@bufbuild/protobuf/wkt';
import { RecordKind, type BackupProgress, type Session, type User } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { StorageClient } from '@aico/storage-client';
import { ApiError, unauthorized } from '../http/api-error';
import type { GatewayConfig } from '../gateway.config';
import { msOrZero } from '../time/iso-time';
import { AccountRateLimiter } from './account-rate-limit';
import { GATEWAY_CLOCK, type Clock } from './clock';
import { KeyedMutex } from '@aico/concurrency';
import { LoginLockout } from './login-lockout';
import { PasswordHashQueue } from './password-hash-queue';
import { SpentRefreshSecrets } from './spent-refresh-secrets';
import { TokenService, type AccessClaims } from './token.service';

export interface IssuedTokens {
  readonly accessToken: string;
  readonly tokenType: 'Bearer';
  readonly expiresIn: number;
  readonly refreshToken: string;
  readonly user: { readonly id: string; readonly username: string; readonly role: string; readonly displayName: string };
}

const SESSION_CACHE_MS = 5_000;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const sameHash = (a: string, b: string) => {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
};
export const userIdOf = (username: string) => username.trim().toLowerCase();

@Injectable()
export class AuthService {
  /** Session validity and owner by id, briefly cached; revocations made here update it at once. */
  private readonly sessions = new Map<string, { valid: boolean; userId: string; checkedAt: number }>();
  private readonly endedListeners = new Set<(sessionIds: readonly string[]) => void>();
  /** Refreshes of one session run one at a time, so a secret is spent exactly once. */
  private readonly refreshes = new KeyedMutex();
  private readonly spent: SpentRefreshSecrets;

  constructor(
    @Inject(SERVICE_CONFIG) private readonly config: GatewayConfig,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    private readonly storage: StorageClient,
    private readonly tokens: TokenService,
    private readonly lockout: LoginLockout,
    private readonly accountLimit: AccountRateLimiter,
    private readonly hashing: PasswordHashQueue,
    @Inject(GATEWAY_CLOCK) private readonly clock: Clock,
  ) {
    this.spent = new SpentRefreshSecrets(storage);
  }

  async login(username: string, password: string, client: string): Promise<IssuedTokens> {
    const userId = userIdOf(username);
    await this.lockout.reserve(userId);
    let user: User | undefined;
    let valid: boolean;
    try {
      this.accountLimit.take(userId);
      const found = await this.storage.getRecord(RecordKind.USER, userId);
      user = found.record?.kind.case === 'user' ? found.record.kind.value : undefined;
      // A missing user costs the same Argon2 time (the decoy) as a wrong password, so timing does not tell which it was.
      valid = await this.hashing.verify(user?.passwordHash, password);
    } catch (error) {
      // Counted but never checked (rate limit, hashing queue full, storage away): the attempt is given back.
      await this.lockout
        .release(userId)
        .catch((releaseError: unknown) => this.logger.warn({ userId, err: releaseError }, 'Could not give back an unchecked login attempt'));
      throw error;
    }
    if (!user || !valid) {
      this.logger.warn({ userId, client }, 'Login refused: wrong username or password');
      throw unauthorized('INVALID_CREDENTIALS', 'Wrong username or password.');
    }
    if (user.disabled) throw new ApiError(403, 'ACCOUNT_DISABLED', 'This account is disabled; ask an administrator.');
    await this.lockout.clear(userId);
    return this.openSession(user, client);
  }

  /** A new session of a user whose password was just checked (a login) or just set (the first run's admin). */
  async openSession(user: User, client: string): Promise<IssuedTokens> {
    const sessionId = randomUUID();
    const secret = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    await this.storage.putRecord({
      kind: {
        case: 'session',
        value: {
          id: sessionId,
          userId: user.id,
          tokenHash: sha256(secret),
          client,
          createdAt: timestampFromMs(now),
          expiresAt: timestampFromMs(now + this.config.gateway.refreshTokenTtlDays * 86_400_000),
        },
      },
    });
    this.logger.info({ userId: user.id, sessionId, client }, 'Logged in');
    return this.issue(user, sessionId, secret);
  }

  async refresh(refreshToken: string): Promise<IssuedTokens> {
    const [sessionId, secret, extra] = refreshToken.split('.');
    if (!sessionId || !secret || extra !== undefined || !isSessionId(sessionId)) throw unauthorized('REFRESH_INVALID', 'The refresh token is not valid.');
    return this.refreshes.run(sessionId, async () => {
      const session = await this.session(sessionId);
      if (!session || session.revokedAt || !session.expiresAt || timestampMs(session.expiresAt) < this.clock.now()) {
        throw unauthorized('REFRESH_INVALID', 'The refresh token is not valid, expired, or its session has ended: log in again.');
      }
      const presented = sha256(secret);
      if (!sameHash(presented, session.tokenHash)) {
        if (await this.spent.has(sessionId, presented)) {
          const revoked = await this.revokeAllSessions(session.userId);
          this.logger.warn(
            { userId: session.userId, sessionId, revoked },
            'A replaced refresh token was presented again: every session of the user is revoked',
          );
          throw unauthorized('REFRESH_REUSED', 'This refresh token was already used. For safety every session of this account has been ended: log in again.');
        }
        // Never valid for this session: a guess or garbage. Ending sessions here would let anyone who read a session id
        // (it is in every access token) log its user out everywhere.
        this.logger.warn({ userId: session.userId, sessionId }, 'Refresh refused: the secret was never valid for this session (nothing revoked)');
        throw unauthorized('REFRESH_INVALID', 'The refresh token is not valid.');
      }
      const found = await this.storage.getRecord(RecordKind.USER, session.userId);
      const user = found.record?.kind.case === 'user' ? found.record.kind.value : undefined;
      if (!user || user.disabled) throw unauthorized('REFRESH_INVALID', 'The account of this session no longer exists or is disabled.');
      const next = randomBytes(32).toString('base64url');
      // Spent first: should the session write fail, the old secret is still the current one and keeps working.
      await this.spent.add(sessionId, session.tokenHash);
      await this.storage.putRecord({ kind: { case: 'session', value: { ...session, tokenHash: sha256(next) } } });
      return this.issue(user, sessionId, next);
    });
  }

  async logout(sessionId: string): Promise<void> {
    const session = await this.session(sessionId);
    if (session && !session.revokedAt) await this.revoke(session);
    this.ended([sessionId]);
  }

  /** The open sessions of a user (not ended, not expired), oldest first. */
  async openSessions(userId: string): Promise<Session[]> {
    const open: Session[] = [];
    const now = this.clock.now();
    for await (const record of this.storage.allRecords(RecordKind.SESSION, userId)) {
      if (record.kind.case !== 'session') continue;
      const session = record.kind.value;
      if (!session.revokedAt && session.expiresAt && timestampMs(session.expiresAt) > now) open.push(session);
    }
    return open.sort((a, b) => msOrZero(a.createdAt) - msOrZero(b.createdAt));
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

  /**
   * A backup or restore's progress (`storage.backup.progress`, AuthEventsController). When a restore is done, every
   * cached session validity is forgotten, so the next use of each token asks storage again: sessions were revoked in
   * the restored database behind this cache's back.
   */
  backupProgressed(progress: Pick<BackupProgress, 'operation' | 'phase'>): void {
    if (progress.operation !== 'restore' || progress.phase !== 'done') return;
    this.sessions.clear();
    this.logger.info('A restore is done: cached session validity forgotten, every token is checked with storage again');
  }

  /** The claims of a valid access token whose session is still open and belongs to the token's subject. */
  async authenticate(accessToken: string): Promise<AccessClaims> {
    const claims = await this.tokens.verify(accessToken);
    const now = this.clock.now();
    let known = this.sessions.get(claims.sid);
    if (!known || now - known.checkedAt >= SESSION_CACHE_MS) {
      const session = await this.session(claims.sid);
      const open = session !== undefined && !session.revokedAt && (!session.expiresAt || timestampMs(session.expiresAt) > now);
      known = { valid: open, userId: session?.userId ?? '', checkedAt: now };
      this.sessions.set(claims.sid, known);
    }
    // A session of another user: the token was not issued by this gateway as it stands (a forgery or a bug).
    if (known.valid && known.userId !== claims.sub) {
      this.logger.warn({ sub: claims.sub, sid: claims.sid }, 'Refused an access token whose session belongs to another user');
      throw unauthorized('TOKEN_INVALID', 'The access token is not valid.');
    }
    if (!known.valid) throw unauthorized('SESSION_ENDED', 'The session of this token has ended: log in again.');
    return claims;
  }

  private async revoke(session: Session): Promise<void> {
    await this.storage.putRecord({ kind: { case: 'session', value: { ...session, revokedAt: timestampFromMs(this.clock.now()) } } });
    await this.spent.forget(session.id);
  }

  private ended(sessionIds: readonly string[]): void {
    const now = this.clock.now();
    for (const id of sessionIds) this.sessions.set(id, { valid: false, userId: this.sessions.get(id)?.userId ?? '', checkedAt: now });
    if (sessionIds.length === 0) return;
    for (const listener of this.endedListeners) listener(sessionIds);
  }

  private async session(sessionId: string): Promise<Session | undefined> {
    if (!isSessionId(sessionId)) return undefined;
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
}

function isSessionId(text: string): boolean {
  return /^[0-9a-f-]{36}$/.test(text);
}
