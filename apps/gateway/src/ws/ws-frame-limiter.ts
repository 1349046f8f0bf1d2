// How many frames a WebSocket client may send: a token bucket per connection and one per user (shared by all of that
// user's connections, and kept after they close until it is full again, so reconnecting does not buy a fresh one).
// A frame over either is refused; a connection refused more often than it is served gets closed by the bridge.
import { TokenBucket } from './token-bucket';

export interface FrameLimits {
  readonly framesPerMinute: number;
  readonly frameBurst: number;
  readonly userFramesPerMinute: number;
  readonly userFrameBurst: number;
  /** Net refusals (each refused frame adds one, each admitted frame takes one off) before a socket is closed. */
  readonly refusalsBeforeClose: number;
}

/** One connection's standing with the limiter. */
export interface ConnectionAllowance {
  readonly userId: string;
  readonly bucket: TokenBucket;
  refusals: number;
}

export type FrameVerdict = { readonly admitted: true } | { readonly admitted: false; readonly scope: 'connection' | 'user'; readonly close: boolean };

export class WsFrameLimiter {
  private readonly users = new Map<string, TokenBucket>();

  constructor(
    readonly limits: FrameLimits,
    private readonly now: () => number = Date.now,
  ) {}

  connection(userId: string): ConnectionAllowance {
    return { userId, bucket: new TokenBucket(this.limits.frameBurst, this.limits.framesPerMinute, this.now()), refusals: 0 };
  }

  /** Admits or refuses one frame of this connection. */
  admit(allowance: ConnectionAllowance): FrameVerdict {
    const now = this.now();
    let user = this.users.get(allowance.userId);
    if (!user) {
      user = new TokenBucket(this.limits.userFrameBurst, this.limits.userFramesPerMinute, now);
      this.users.set(allowance.userId, user);
    }
    // Both must have a token before either gives one, so a refusal costs the client nothing it could save up.
    const scope = !allowance.bucket.available(now) ? 'connection' : !user.available(now) ? 'user' : undefined;
    if (scope) {
      allowance.refusals++;
      return { admitted: false, scope, close: allowance.refusals > this.limits.refusalsBeforeClose };
    }
    allowance.bucket.take(now);
    user.take(now);
    allowance.refusals = Math.max(0, allowance.refusals - 1);
    return { admitted: true };
  }

  /** Forgets the buckets of users without connections once they are full again (nothing left to remember). */
  sweep(connectedUsers: ReadonlySet<string>): void {
    const now = this.now();
    for (const [userId, bucket] of this.users) if (!connectedUsers.has(userId) && bucket.isFull(now)) this.users.delete(userId);
  }

  get trackedUsers(): number {
    return this.users.size;
  }
}
