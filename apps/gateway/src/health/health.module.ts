// Liveness and readiness, and what the gateway learns of the other apps and of the people using it: the heartbeats
// of every app (HeartbeatTracker) and presence activity it reports on the bus (ActivityReporter).
import { Module } from '@nestjs/common';
import { ActivityReporter } from './activity-reporter';
import { HealthController } from './health.controller';
import { HealthEventsController } from './health-events.controller';
import { HeartbeatTracker } from './heartbeat-tracker';

@Module({
  controllers: [HealthController, HealthEventsController],
  providers: [HeartbeatTracker, ActivityReporter],
  exports: [HeartbeatTracker, ActivityReporter],
})
export class HealthModule {}
