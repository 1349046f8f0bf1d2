// Logging in, sessions and tokens, the first run, and the guards in front of every route: the rate limits (per
// client, stricter for login routes, per account), the lockout, the bounded password hashing and the access check.
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { SERVICE_CONFIG } from '@aico/service';
import { StorageClient } from '@aico/storage-client';
import type { GatewayConfig } from '../gateway.config';
import { HealthModule } from '../health/health.module';
import { AccountRateLimiter } from './account-rate-limit';
import { AuthController } from './auth.controller';
import { AuthEventsController } from './auth-events.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { GATEWAY_CLOCK, type Clock } from './clock';
import { FirstRunSetup } from './first-run-setup';
import { LoginLockout } from './login-lockout';
import { PasswordHashQueue } from './password-hash-queue';
import { HttpThrottlerGuard, LoginRateLimit } from './rate-limit';
import { SetupController } from './setup.controller';
import { TokenService } from './token.service';

@Module({
  imports: [
    HealthModule,
    ThrottlerModule.forRootAsync({
      inject: [SERVICE_CONFIG],
      useFactory: (config: GatewayConfig) => [{ name: 'default', ttl: config.gateway.rateLimitWindowMs, limit: config.gateway.rateLimitPerMinute }],
    }),
  ],
  controllers: [AuthController, SetupController, AuthEventsController],
  providers: [
    {
      provide: LoginRateLimit,
      inject: [SERVICE_CONFIG],
      useFactory: ({ gateway }: GatewayConfig): LoginRateLimit => ({ limit: gateway.loginRateLimitPerMinute, windowMs: gateway.rateLimitWindowMs }),
    },
    {
      provide: LoginLockout,
      inject: [StorageClient, SERVICE_CONFIG, GATEWAY_CLOCK],
      useFactory: (storage: StorageClient, { gateway }: GatewayConfig, clock: Clock) =>
        new LoginLockout(
          storage,
          { freeAttempts: gateway.lockoutFreeAttempts, baseDelayMs: gateway.lockoutBaseDelayMs, maxDelayMs: gateway.lockoutMaxDelayMs },
          clock,
        ),
    },
    {
      provide: AccountRateLimiter,
      inject: [SERVICE_CONFIG, GATEWAY_CLOCK],
      useFactory: ({ gateway }: GatewayConfig, clock: Clock) =>
        new AccountRateLimiter({ limit: gateway.loginRateLimitPerAccount, windowMs: gateway.rateLimitWindowMs }, clock),
    },
    {
      provide: PasswordHashQueue,
      inject: [SERVICE_CONFIG],
      useFactory: ({ gateway }: GatewayConfig) =>
        new PasswordHashQueue({ concurrency: gateway.passwordHashConcurrency, maxWaiting: gateway.passwordHashQueueLimit }),
    },
    // The rate limit first: a flood is refused before any token is checked.
    { provide: APP_GUARD, useClass: HttpThrottlerGuard },
    { provide: APP_GUARD, useClass: AuthGuard },
    TokenService,
    AuthService,
    FirstRunSetup,
  ],
  exports: [AuthService, PasswordHashQueue],
})
export class AuthModule {}
