// The scheduler's tasks for the front end: the list with next run times, and "run now". Answers are the
// scheduler's protobuf replies as JSON (protobuf-es `toJson`), so front-end models come from the same contract.
import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { toJson } from '@bufbuild/protobuf';
import { SchedulerTopics } from '@aico/contracts';
import { Permission } from '@aico/policy';
import { Access } from '../auth/access.decorator';
import { Doc } from '../http/doc.decorator';
import { protoJsonSchema } from '../http/proto-json-schema';
import { TasksService } from './tasks.service';

const TaskListResponse = protoJsonSchema(SchedulerTopics.list.response);
const TriggerTaskResponse = protoJsonSchema(SchedulerTopics.trigger.response);

@Controller('tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Get()
  @Access(Permission.TasksRead)
  @Doc('Scheduled tasks with their state and next run time', { response: TaskListResponse })
  async list() {
    return toJson(SchedulerTopics.list.response, await this.tasks.list());
  }

  @Post(':name/trigger')
  @HttpCode(202)
  @Access(Permission.TasksTrigger)
  @Doc('Run a task now (not twice at once)', { response: TriggerTaskResponse })
  async trigger(@Param('name') name: string) {
    return toJson(SchedulerTopics.trigger.response, await this.tasks.trigger(name));
  }
}
