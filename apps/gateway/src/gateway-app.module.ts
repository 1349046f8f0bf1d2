import { Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { BusClient } from '@aico/bus';
import { defaultTopicRegistry } from '@aico/contracts';
import { AccessPolicy } from '@aico/policy';
import { SERVICE_CONFIG } from '@aico/service';
import { StorageClient } from '@aico/storage-client';
import { AccountRateLimiter } from './auth/account-rate-limit';
import { AuthGuard } from './auth/auth.guard';
import { AuthService } from './auth/auth.service';
import { FirstRunSetup } from './auth/first-run-setup';
import { RestoreListener } from './auth/restore-listener';
import { GATEWAY_CLOCK, systemClock, type Clock } from './auth/clock';
import { LoginLockout } from './auth/login-lockout';
import { PasswordHashQueue } from './auth/password-hash-queue';
import { HttpThrottlerGuard } from './auth/rate-limit';
import { RouteAccessCheck } from './auth/route-access.check';
import { TokenService } from './auth/token.service';
import { ConsentService } from './consent/consent.service';
import { GATEWAY_CONTROLLERS } from './gateway-controllers';
import type { GatewayConfig } from './gateway.config';
import { ActivityReporter } from './health/activity-reporter';
import { HeartbeatTracker } from './health/heartbeat-tracker';
import { ResponseValidationInterceptor } from './http/response-validation.interceptor';
import { ModelPulls, USER_FRAMES } from './models/model-pulls';
import { UsersService } from './users/users.service';
import { WsBridge } from './ws/ws-bridge';

@Module({
  imports: [
    DiscoveryModule,
    ThrottlerModule.forRootAsync({
      inject: [SERVICE_CONFIG],
      useFactory: (config: GatewayConfig) => [{ name: 'default', ttl: config.gateway.rateLimitWindowMs, limit: config.gateway.rateLimitPerMinute }],
    }),
  ],
  controllers: [...GATEWAY_CONTROLLERS],
  providers: [
    { provide: AccessPolicy, useValue: new AccessPolicy(defaultTopicRegistry) },
    // Short deadlines: a person is waiting on the other end of these calls.
    { provide: StorageClient, inject: [BusClient], useFactory: (bus: BusClient) => new StorageClient(bus, { deadlineMs: 5_000, attemptTimeoutMs: 1_500 }) },
    { provide: GATEWAY_CLOCK, useValue: systemClock },
    {
      provide: LoginLockout,
      inject: [StorageClient, SERVICE_CONFIG, GATEWAY_CLOCK],
      useFactory: (storage: StorageClient, { gateway }: GatewayConfig, clock: Clock) =>
        new LoginLockout(storage, { freeAttempts: gateway.lockoutFreeAttempts, baseDelayMs: gateway.lockoutBaseDelayMs, maxDelayMs: gateway.lockoutMaxDelayMs }, clock),
    },
    {
      provide: AccountRateLimiter,
      inject: [SERVICE_CONFIG, GATEWAY_CLOCK],
      useFactory: ({ gateway }: GatewayConfig, clock: Clock) => new AccountRateLimiter({ limit: gateway.loginRateLimitPerAccount, windowMs: gateway.rateLimitWindowMs }, clock),
    },
    {
      provide: PasswordHashQueue,
      inject: [SERVICE_CONFIG],
      useFactory: ({ gateway }: GatewayConfig) => new PasswordHashQueue({ concurrency: gateway.passwordHashConcurrency, maxWaiting: gateway.passwordHashQueueLimit }),
    },
    { provide: APP_GUARD, useClass: HttpThrottlerGuard },
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_INTERCEPTOR, useClass: ResponseValidationInterceptor },
    TokenService,
    AuthService,
    RestoreListener,
    UsersService,
    ConsentService,
    HeartbeatTracker,
    ActivityReporter,
    RouteAccessCheck,
    WsBridge,
    FirstRunSetup,
    // Pull progress goes to the WebSockets of the user who started the pull.
    { provide: USER_FRAMES, useExisting: WsBridge },
    ModelPulls,
  ],
})
export class GatewayAppModule {}
