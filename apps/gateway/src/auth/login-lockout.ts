// The per-account lockout that slows password guessing. An attempt is counted BEFORE its password is checked, one
// account at a time (KeyedMutex), and the count is written with compare-and-set: of any number of concurrent
// attempts only the free ones are evaluated, the rest wait for the backoff. A success clears the count; an attempt
// that was counted but never evaluated (the hashing queue was full, the per-account rate limit refused it) is given
// back. The counts live in storage (namespace gateway.lockout), so a restarted gateway keeps them.
import { z } from '@aico/config';
import { StorageErrorCode } from '@aico/contracts';
import type { StorageClient } from '@aico/storage-client';
import { ApiError } from '../http/api-error';
import type { Clock } from './clock';
import { KeyedMutex } from '@aico/concurrency';

export interface LockoutPolicy {
  /** Attempts before the account waits. */
  readonly freeAttempts: number;
  /** The first wait; each further attempt doubles it, up to maxDelayMs. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export type LockoutStorage = Pick<StorageClient, 'getState' | 'putState' | 'deleteState'>;

export const LOCKOUT_NAMESPACE = 'gateway.lockout';
const CAS_ATTEMPTS = 5;

const lockoutState = z.object({ attempts: z.number().int().min(0), lastAttemptAt: z.number() });
// What gateways before the concurrent-lockout fix wrote (failures only): read as attempts.
const formerLockoutState = z
  .object({ failures: z.number().int().min(0), lastFailureAt: z.number() })
  .transform(({ failures, lastFailureAt }) => ({ attempts: failures, lastAttemptAt: lastFailureAt }));
const storedState = z.union([lockoutState, formerLockoutState]);
type LockoutState = z.infer<typeof lockoutState>;

const isVersionConflict = (error: unknown) => (error as { code?: unknown }).code === StorageErrorCode.VersionConflict;

export class LoginLockout {
  private readonly mutex = new KeyedMutex();

  constructor(
    private readonly storage: LockoutStorage,
    private readonly policy: LockoutPolicy,
    private readonly clock: Clock,
  ) {}

  /** Counts one attempt for the account, or throws 429 ACCOUNT_LOCKED (with Retry-After) while it must wait. */
  reserve(userId: string): Promise<void> {
    return this.update(userId, (state, now) => {
      const waitMs = this.waitMs(state, now);
      if (waitMs > 0) {
        const retryAfterSeconds = Math.ceil(waitMs / 1000);
        throw new ApiError(429, 'ACCOUNT_LOCKED', `Too many failed logins for this account; try again in ${retryAfterSeconds} s.`, { retryAfterSeconds });
      }
      return { attempts: state.attempts + 1, lastAttemptAt: now };
    });
  }

  /** Gives back an attempt that was counted but whose password was never checked. */
  release(userId: string): Promise<void> {
    return this.update(userId, (state) => (state.attempts > 0 ? { ...state, attempts: state.attempts - 1 } : undefined));
  }

  /** A successful login: the account starts over. */
  clear(userId: string): Promise<void> {
    return this.mutex.run(userId, async () => {
      await this.storage.deleteState(LOCKOUT_NAMESPACE, userId);
    });
  }

  /** How long the account must still wait before its next attempt (0: it may try now). */
  waitMs(state: LockoutState, now: number): number {
    const { freeAttempts, baseDelayMs, maxDelayMs } = this.policy;
    if (state.attempts < freeAttempts) return 0;
    const backoff = Math.min(baseDelayMs * 2 ** Math.min(state.attempts - freeAttempts, 40), maxDelayMs);
    return Math.max(0, state.lastAttemptAt + backoff - now);
  }

  /** Read, decide, write back with compare-and-set, under the account's mutex; `decide` may throw to refuse. */
  private update(userId: string, decide: (state: LockoutState, now: number) => LockoutState | undefined): Promise<void> {
    return this.mutex.run(userId, async () => {
      for (let attempt = 1; ; attempt++) {
        const found = await this.storage.getState(LOCKOUT_NAMESPACE, userId);
        const version = found.found && found.entry ? found.entry.version : 0n;
        const next = decide(this.parseState(found.found ? found.entry?.value : undefined), this.clock.now());
        if (!next) return;
        try {
          await this.storage.putState(LOCKOUT_NAMESPACE, userId, Buffer.from(JSON.stringify(next)), { expectedVersion: version });
          return;
        } catch (error) {
          // Another writer (another gateway on the same storage) got there first: read again and decide again.
          if (!isVersionConflict(error) || attempt >= CAS_ATTEMPTS) throw error;
        }
      }
    });
  }

  /** A stored count; an unreadable one counts as the free attempts spent, so corrupting it cannot unlock an account. */
  private parseState(value: Uint8Array | undefined): LockoutState {
    if (!value) return { attempts: 0, lastAttemptAt: 0 };
    try {
      const parsed = storedState.safeParse(JSON.parse(Buffer.from(value).toString('utf8')));
      if (parsed.success) return parsed.data;
    } catch {
      // not JSON: as below
    }
    return { attempts: this.policy.freeAttempts, lastAttemptAt: 0 };
  }
}
