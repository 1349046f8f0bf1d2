import { Module } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { BusClient } from '@aico/bus';
import { defaultTopicRegistry } from '@aico/contracts';
import { AccessPolicy } from '@aico/policy';
import { SERVICE_CONFIG } from '@aico/service';
import { StorageClient } from '@aico/storage-client';
import { AuthController } from './auth/auth.controller';
import { AuthGuard } from './auth/auth.guard';
import { AuthService } from './auth/auth.service';
import { HttpThrottlerGuard } from './auth/rate-limit';
import { RouteAccessCheck } from './auth/route-access.check';
import { TokenService } from './auth/token.service';
import { ConsentController } from './consent/consent.controller';
import { ConsentService } from './consent/consent.service';
import { ConversationController } from './conversation/conversation.controller';
import type { GatewayConfig } from './gateway.config';
import { HealthController } from './health/health.controller';
import { ActivityReporter } from './health/activity-reporter';
import { HeartbeatTracker } from './health/heartbeat-tracker';
import { OpenApiController } from './http/openapi';
import { SystemController } from './system/system.controller';
import { TasksController } from './tasks/tasks.controller';
import { UsersController } from './users/users.controller';
import { WsBridge } from './ws/ws-bridge';

@Module({
  imports: [
    DiscoveryModule,
    ThrottlerModule.forRootAsync({
      inject: [SERVICE_CONFIG],
      useFactory: (config: GatewayConfig) => [{ name: 'default', ttl: 60_000, limit: config.gateway.rateLimitPerMinute }],
    }),
  ],
  controllers: [HealthController, AuthController, UsersController, ConsentController, SystemController, ConversationController, TasksController, OpenApiController],
  providers: [
    { provide: AccessPolicy, useValue: new AccessPolicy(defaultTopicRegistry) },
    // Short deadlines: a person is waiting on the other end of these calls.
    { provide: StorageClient, inject: [BusClient], useFactory: (bus: BusClient) => new StorageClient(bus, { deadlineMs: 5_000, attemptTimeoutMs: 1_500 }) },
    { provide: APP_GUARD, useClass: HttpThrottlerGuard },
    { provide: APP_GUARD, useClass: AuthGuard },
    TokenService,
    AuthService,
    ConsentService,
    HeartbeatTracker,
    ActivityReporter,
    RouteAccessCheck,
    WsBridge,
  ],
})
export class GatewayAppModule {}
