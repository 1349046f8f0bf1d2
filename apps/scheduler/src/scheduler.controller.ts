// The scheduler bus contract (`scheduler.task.*`). The requester's identity, as the envelope names it, becomes a
// task's owner and is what management rights are checked against.
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { ZmqContext } from '@aico/bus';
import { SchedulerTopics, SystemTopics } from '@aico/contracts';
import type {
  Heartbeat,
  PauseTaskRequest,
  RegisterTaskRequest,
  ResumeTaskRequest,
  TaskHistoryRequest,
  TriggerTaskRequest,
  UnregisterTaskRequest,
  ServiceStopping,
} from '@aico/contracts';
import { HealthSweep } from './built-in/health-sweep';
import { TaskScheduler } from './task-scheduler.service';

@Controller()
export class SchedulerController {
  constructor(
    private readonly scheduler: TaskScheduler,
    private readonly health: HealthSweep,
  ) {}

  /** Every heartbeat on the bus, remembered for the health sweep (subscribed before the client connects). */
  @EventPattern(SystemTopics.heartbeat.topic)
  heartbeat(@Payload() heartbeat: Heartbeat, @Ctx() context: ZmqContext): void {
    this.health.heartbeat(heartbeat, context.getSource());
  }

  @EventPattern(SystemTopics.serviceStopping.topic)
  stopping(@Payload() stopping: ServiceStopping): void {
    this.health.stopping(stopping.instanceId);
  }

  @MessagePattern(SchedulerTopics.register.topic)
  register(@Payload() request: RegisterTaskRequest, @Ctx() context: ZmqContext) {
    return this.scheduler.register(request.task, context.getSource());
  }

  @MessagePattern(SchedulerTopics.unregister.topic)
  unregister(@Payload() request: UnregisterTaskRequest, @Ctx() context: ZmqContext) {
    return this.scheduler.unregister(request.name, context.getSource());
  }

  @MessagePattern(SchedulerTopics.list.topic)
  async list() {
    return { tasks: await this.scheduler.list() };
  }

  @MessagePattern(SchedulerTopics.trigger.topic)
  trigger(@Payload() request: TriggerTaskRequest, @Ctx() context: ZmqContext) {
    return this.scheduler.trigger(request.name, request.wait, context.getSource());
  }

  @MessagePattern(SchedulerTopics.pause.topic)
  async pause(@Payload() request: PauseTaskRequest, @Ctx() context: ZmqContext) {
    return { task: await this.scheduler.pause(request.name, context.getSource()) };
  }

  @MessagePattern(SchedulerTopics.resume.topic)
  async resume(@Payload() request: ResumeTaskRequest, @Ctx() context: ZmqContext) {
    return { task: await this.scheduler.resume(request.name, context.getSource()) };
  }

  @MessagePattern(SchedulerTopics.history.topic)
  async history(@Payload() request: TaskHistoryRequest) {
    return { entries: await this.scheduler.history(request.name, request.limit) };
  }
}
