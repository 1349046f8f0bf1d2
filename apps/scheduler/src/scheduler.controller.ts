// The scheduler bus contract (`scheduler.task.*`). The requester's identity, as the envelope names it, becomes a
// task's owner and is what management rights are checked against.
import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { ZmqContext } from '@aico/bus';
import type { PauseTaskRequest, RegisterTaskRequest, ResumeTaskRequest, TaskHistoryRequest, TriggerTaskRequest, UnregisterTaskRequest } from '@aico/contracts';
import { TaskScheduler } from './task-scheduler.service';

@Controller()
export class SchedulerController {
  constructor(private readonly scheduler: TaskScheduler) {}

  @MessagePattern('scheduler.task.register')
  register(@Payload() request: RegisterTaskRequest, @Ctx() context: ZmqContext) {
    return this.scheduler.register(request.task, context.getSource());
  }

  @MessagePattern('scheduler.task.unregister')
  unregister(@Payload() request: UnregisterTaskRequest, @Ctx() context: ZmqContext) {
    return this.scheduler.unregister(request.name, context.getSource());
  }

  @MessagePattern('scheduler.task.list')
  async list() {
    return { tasks: await this.scheduler.list() };
  }

  @MessagePattern('scheduler.task.trigger')
  trigger(@Payload() request: TriggerTaskRequest, @Ctx() context: ZmqContext) {
    return this.scheduler.trigger(request.name, request.wait, context.getSource());
  }

  @MessagePattern('scheduler.task.pause')
  async pause(@Payload() request: PauseTaskRequest, @Ctx() context: ZmqContext) {
    return { task: await this.scheduler.pause(request.name, context.getSource()) };
  }

  @MessagePattern('scheduler.task.resume')
  async resume(@Payload() request: ResumeTaskRequest, @Ctx() context: ZmqContext) {
    return { task: await this.scheduler.resume(request.name, context.getSource()) };
  }

  @MessagePattern('scheduler.task.history')
  async history(@Payload() request: TaskHistoryRequest) {
    return { entries: await this.scheduler.history(request.name, request.limit) };
  }
}
