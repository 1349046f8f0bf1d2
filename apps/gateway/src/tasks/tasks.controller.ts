// The scheduler's tasks for the front end: the list with next run times, and "run now". Answers are the
// scheduler's protobuf replies as JSON (protobuf-es `toJson`), so front-end models come from the same contract.
import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { toJson } from '@bufbuild/protobuf';
import { BusClient } from '@aico/bus';
import { SchedulerTopics } from '@aico/contracts';
import { Permission } from '@aico/policy';
import { Access } from '../auth/access.decorator';
import { badRequest } from '../http/api-error';
import { Doc } from '../http/doc.decorator';
import { protoJsonSchema } from '../http/proto-json-schema';

const TaskListResponse = protoJsonSchema(SchedulerTopics.list.response);
const TriggerTaskResponse = protoJsonSchema(SchedulerTopics.trigger.response);
const TASK_NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/i;

@Controller('tasks')
export class TasksController {
  constructor(private readonly bus: BusClient) {}

  @Get()
  @Access(Permission.TasksRead)
  @Doc('Scheduled tasks with their state and next run time', { response: TaskListResponse })
  async list() {
    const response = await this.bus.request(SchedulerTopics.list, {}, { timeoutMs: 3_000 });
    return toJson(SchedulerTopics.list.response, response);
  }

  @Post(':name/trigger')
  @HttpCode(202)
  @Access(Permission.TasksTrigger)
  @Doc('Run a task now (not twice at once)', { response: TriggerTaskResponse })
  async trigger(@Param('name') name: string) {
    if (!TASK_NAME.test(name)) throw badRequest('INVALID_TASK_NAME', 'A task name is letters, digits, dots, dashes or underscores.');
    const response = await this.bus.request(SchedulerTopics.trigger, { name, wait: false }, { timeoutMs: 3_000 });
    return toJson(SchedulerTopics.trigger.response, response);
  }
}
