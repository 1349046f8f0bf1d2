// Rate limits per client and route (@nestjs/throttler). A client is what client-address.ts says (the whole loopback
// is one). Bus handlers of the same app are not HTTP requests and are not limited here. Routes marked
// @LoginThrottled() (login, refresh, first-run setup) get their own, stricter limit, a provider made from the config
// (LoginRateLimit) instead of the default one; logins are also limited per account (account-rate-limit.ts).
import { Inject, Injectable, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerRequest,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { rateLimitClient } from './client-address';

const LOGIN_THROTTLED = 'aico:login-throttled';

/** Requests per client and window on the routes that check a password or a refresh token. */
export abstract class LoginRateLimit {
  abstract readonly limit: number;
  abstract readonly windowMs: number;
}

/** Marks a route that checks a password or a refresh token: it is limited by LoginRateLimit, not the default limit. */
export const LoginThrottled = () => SetMetadata(LOGIN_THROTTLED, true);

@Injectable()
export class HttpThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @Inject(LoginRateLimit) private readonly login: LoginRateLimit,
  ) {
    super(options, storage, reflector);
  }

  override canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return Promise.resolve(true);
    return super.canActivate(context);
  }

  protected override handleRequest(request: ThrottlerRequest): Promise<boolean> {
    if (!this.reflector.get<boolean | undefined>(LOGIN_THROTTLED, request.context.getHandler())) return super.handleRequest(request);
    return super.handleRequest({ ...request, limit: this.login.limit, ttl: this.login.windowMs, blockDuration: this.login.windowMs });
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the signature ThrottlerGuard declares
  protected override getTracker(request: Record<string, any>): Promise<string> {
    const { ip, socket } = request as { ip?: string; socket?: { remoteAddress?: string } };
    return Promise.resolve(rateLimitClient(ip ?? socket?.remoteAddress));
  }
}
