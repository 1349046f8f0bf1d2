// Rate limits per client and route (@nestjs/throttler). A client is what client-address.ts says (the whole loopback
// is one). Bus handlers of the same app are not HTTP requests and are not limited here. Login and refresh get their
// own, stricter limit (set from config at start); logins are also limited per account (account-rate-limit.ts).
import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import { rateLimitClient } from './client-address';

let loginLimit = 20;
let windowMs = 60_000;
export const LOGIN_THROTTLE = { default: { limit: () => loginLimit, ttl: () => windowMs } };

export function setLoginRateLimit(perWindow: number, window = 60_000): void {
  loginLimit = perWindow;
  windowMs = window;
}

@Injectable()
export class HttpThrottlerGuard extends ThrottlerGuard {
  override canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return Promise.resolve(true);
    return super.canActivate(context);
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the signature ThrottlerGuard declares
  protected override getTracker(request: Record<string, any>): Promise<string> {
    const { ip, socket } = request as { ip?: string; socket?: { remoteAddress?: string } };
    return Promise.resolve(rateLimitClient(ip ?? socket?.remoteAddress));
  }
}
