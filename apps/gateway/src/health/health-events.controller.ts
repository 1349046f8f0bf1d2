// What the health module hears on the bus (libs/bus/README.md, "One way to use the bus in an app"): every app's
// heartbeat and its stopping announcement, for readiness. ZmqServer subscribes these before the bus client
// connects, so the first heartbeats after start are heard.
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { SystemTopics, type Heartbeat, type ServiceStopping } from '@aico/contracts';
import { HeartbeatTracker } from './heartbeat-tracker';

@Controller()
export class HealthEventsController {
  constructor(private readonly tracker: HeartbeatTracker) {}

  @EventPattern(SystemTopics.heartbeat.topic)
  heartbeat(@Payload() heartbeat: Heartbeat): void {
    this.tracker.heartbeat(heartbeat);
  }

  @EventPattern(SystemTopics.serviceStopping.topic)
  stopping(@Payload() stopping: ServiceStopping): void {
    this.tracker.stopping(stopping);
  }
}
