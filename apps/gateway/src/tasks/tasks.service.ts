// The scheduler's tasks, asked over the bus with a short deadline (a person is waiting); a task name that cannot be
// one is refused before asking.
import { Injectable } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import { SchedulerTopics } from '@aico/contracts';
import { badRequest } from '../http/api-error';

const TASK_NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/i;
const SCHEDULER_TIMEOUT_MS = 3_000;

@Injectable()
export class TasksService {
  constructor(private readonly bus: BusClient) {}

  list() {
    return this.bus.request(SchedulerTopics.list, {}, { timeoutMs: SCHEDULER_TIMEOUT_MS });
  }

  /** Runs a task now without waiting for it to finish (the scheduler refuses a second run at once). */
  trigger(name: string) {
    if (!TASK_NAME.test(name)) throw badRequest('INVALID_TASK_NAME', 'A task name is letters, digits, dots, dashes or underscores.');
    return this.bus.request(SchedulerTopics.trigger, { name, wait: false }, { timeoutMs: SCHEDULER_TIMEOUT_MS });
  }
}
