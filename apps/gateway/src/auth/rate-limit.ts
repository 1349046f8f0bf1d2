// Rate limits per client address and route (@nestjs/throttler). Bus handlers of the same app are not HTTP requests
// and are not limited here. Login and refresh get their own, stricter limit (set from config at start).
import { Injectable, type ExecutionContext } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';

export const LOGIN_THROTTLE = { default: { limit: () => loginLimit, ttl: 60_000 } };
let loginLimit = 20;
export function setLoginRateLimit(perMinute: number): void {
  loginLimit = perMinute;
}

@Injectable()
export class HttpThrottlerGuard extends ThrottlerGuard {
  override canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return Promise.resolve(true);
    return super.canActivate(context);
  }
}
