// Topics of the `scheduler` domain, answered and published by the scheduler service. Any service may register a
// task (it becomes the task's owner); a task may be managed (unregistered, paused, resumed, triggered) by its owner
// or an operator identity. A task's topic must be one the scheduler may publish (or request) per this registry.
import { HealthSummarySchema } from './gen/aico/scheduler/v1/health_pb';
import {
  ListTasksRequestSchema,
  ListTasksResponseSchema,
  PauseTaskRequestSchema,
  PauseTaskResponseSchema,
  RegisterTaskRequestSchema,
  RegisterTaskResponseSchema,
  ResumeTaskRequestSchema,
  ResumeTaskResponseSchema,
  RunFinishedSchema,
  TaskDeadLetteredSchema,
  TaskHistoryRequestSchema,
  TaskHistoryResponseSchema,
  TriggerTaskRequestSchema,
  TriggerTaskResponseSchema,
  UnregisterTaskRequestSchema,
  UnregisterTaskResponseSchema,
} from './gen/aico/scheduler/v1/tasks_pb';
import type { ServiceIdentity } from './identities';
import { defineEvent, defineRequest } from './topic-registry';

const scheduler = ['scheduler'] as const;

/** Identities that may manage any task, besides its owner (built-in tasks are owned by `scheduler`). */
export const SCHEDULER_OPERATORS: readonly ServiceIdentity[] = ['cli', 'supervisor', 'gateway'];

/** Error codes the scheduler answers with; the CLI maps each to an exit code. */
export enum SchedulerErrorCode {
  InvalidTask = 'SCHEDULER_INVALID_TASK',
  UnknownTask = 'SCHEDULER_UNKNOWN_TASK',
  NameTaken = 'SCHEDULER_NAME_TAKEN',
  NotPermitted = 'SCHEDULER_NOT_PERMITTED',
  BuiltIn = 'SCHEDULER_BUILT_IN',
  NotReady = 'SCHEDULER_NOT_READY',
}

export const SchedulerTopics = {
  register: defineRequest({
    topic: 'scheduler.task.register',
    payload: RegisterTaskRequestSchema,
    response: RegisterTaskResponseSchema,
    publishers: 'any',
    responders: scheduler,
    contractVersion: 1,
    description: 'Adds or replaces a task (cron or interval, topic and payload, timeout, retries, missed-run policy); answered once stored.',
  }),
  unregister: defineRequest({
    topic: 'scheduler.task.unregister',
    payload: UnregisterTaskRequestSchema,
    response: UnregisterTaskResponseSchema,
    publishers: 'any',
    responders: scheduler,
    contractVersion: 1,
    description: 'Removes a task (its owner or an operator).',
  }),
  list: defineRequest({
    topic: 'scheduler.task.list',
    payload: ListTasksRequestSchema,
    response: ListTasksResponseSchema,
    publishers: 'any',
    responders: scheduler,
    contractVersion: 1,
    description: 'Every registered task with its state and next run time.',
  }),
  trigger: defineRequest({
    topic: 'scheduler.task.trigger',
    payload: TriggerTaskRequestSchema,
    response: TriggerTaskResponseSchema,
    publishers: 'any',
    responders: scheduler,
    contractVersion: 1,
    description: 'Runs a task now (not twice at once); optionally answers when the run has ended.',
  }),
  pause: defineRequest({
    topic: 'scheduler.task.pause',
    payload: PauseTaskRequestSchema,
    response: PauseTaskResponseSchema,
    publishers: 'any',
    responders: scheduler,
    contractVersion: 1,
    description: 'Stops scheduling a task until it is resumed (kept across restarts).',
  }),
  resume: defineRequest({
    topic: 'scheduler.task.resume',
    payload: ResumeTaskRequestSchema,
    response: ResumeTaskResponseSchema,
    publishers: 'any',
    responders: scheduler,
    contractVersion: 1,
    description: 'Schedules a paused task again from now.',
  }),
  history: defineRequest({
    topic: 'scheduler.task.history',
    payload: TaskHistoryRequestSchema,
    response: TaskHistoryResponseSchema,
    publishers: 'any',
    responders: scheduler,
    contractVersion: 1,
    description: "A task's run history (start, end, outcome, attempt, error), newest first.",
  }),
  runFinished: defineEvent({
    topic: 'scheduler.run.finished',
    payload: RunFinishedSchema,
    publishers: scheduler,
    contractVersion: 1,
    description: 'A run ended (or was skipped); its history is stored.',
  }),
  deadLettered: defineEvent({
    topic: 'scheduler.task.dead_lettered',
    payload: TaskDeadLetteredSchema,
    publishers: scheduler,
    contractVersion: 1,
    description: 'A run failed its last allowed attempt; carries its topic and payload.',
  }),
  healthSummary: defineEvent({
    topic: 'scheduler.health.summary',
    payload: HealthSummarySchema,
    publishers: scheduler,
    contractVersion: 1,
    description: 'Every service instance heard from recently and whether its heartbeats are overdue.',
  }),
} as const;
