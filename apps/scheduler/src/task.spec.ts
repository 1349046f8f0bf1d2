import { create, toBinary } from '@bufbuild/protobuf';
import { defaultTopicRegistry, MissedRunPolicy, PingRequestSchema, ScheduledTaskSchema, TaskDefinitionSchema } from '@aico/contracts';
import { specFromDefinition, specToDefinition, taskFromRecord, taskToRecord, type Task } from './task';

const defaults = { timeZone: 'Europe/Berlin', timeoutMs: 30_000 };

describe('task definitions', () => {
  const definition = create(TaskDefinitionSchema, {
    name: 'nightly.report',
    schedule: { kind: { case: 'cron', value: '0 0 2 * * *' } },
    topic: 'system.health.ping',
    payload: toBinary(PingRequestSchema, create(PingRequestSchema, { target: 'storage' })),
    retry: { maxAttempts: 5, initialBackoffMs: 2_000, maxBackoffMs: 0, jitter: 0.1 },
    missedRunPolicy: MissedRunPolicy.RUN_ONCE,
  });

  it('fills what a definition leaves out: the zone, the timeout, a cap of 0 meaning "no growth"', () => {
    const spec = specFromDefinition(definition, defaultTopicRegistry, defaults);
    expect(spec).toMatchObject({
      schedule: { kind: 'cron', expression: '0 0 2 * * *', timeZone: 'Europe/Berlin' },
      timeoutMs: 30_000,
      retry: { maxAttempts: 5, initialBackoffMs: 2_000, maxBackoffMs: 2_000, jitter: 0.1 },
      missedRunPolicy: 'run-once',
    });
    const unset = specFromDefinition(create(TaskDefinitionSchema, { ...definition, retry: undefined }), defaultTopicRegistry, defaults);
    expect(unset.retry).toEqual({ maxAttempts: 1, initialBackoffMs: 1_000, maxBackoffMs: 60_000, jitter: 0 });
  });

  it('survives the trip through its storage record, state included', () => {
    const spec = specFromDefinition(definition, defaultTopicRegistry, defaults);
    const task: Task = { ...spec, owner: 'gateway', builtIn: false, paused: true };
    const record = create(ScheduledTaskSchema, taskToRecord(task, Date.UTC(2026, 0, 2, 1, 0)));
    expect(record).toMatchObject({
      id: 'nightly.report',
      schedule: '0 0 2 * * *',
      timeZone: 'Europe/Berlin',
      intervalMs: 0n,
      enabled: false,
      owner: 'gateway',
    });
    const back = taskFromRecord(record, defaultTopicRegistry, defaults);
    expect(back).toEqual({ task, nextRunAt: Date.UTC(2026, 0, 2, 1, 0) });
    expect(create(TaskDefinitionSchema, specToDefinition(back.task))).toEqual(
      create(TaskDefinitionSchema, {
        name: 'nightly.report',
        schedule: { kind: { case: 'cron', value: '0 0 2 * * *' }, timeZone: 'Europe/Berlin' },
        topic: 'system.health.ping',
        payload: definition.payload,
        timeoutMs: 30_000,
        retry: { maxAttempts: 5, initialBackoffMs: 2_000, maxBackoffMs: 2_000, jitter: 0.1 },
        missedRunPolicy: MissedRunPolicy.RUN_ONCE,
      }),
    );
  });

  it('refuses a stored record that no longer makes a task (e.g. its topic left the registry)', () => {
    const task: Task = { ...specFromDefinition(definition, defaultTopicRegistry, defaults), owner: 'gateway', builtIn: false, paused: false };
    const record = create(ScheduledTaskSchema, { ...taskToRecord(task, undefined), topic: 'gone.from.registry' });
    expect(() => taskFromRecord(record, defaultTopicRegistry, defaults)).toThrow(
      expect.objectContaining({ code: 'SCHEDULER_INVALID_TASK', details: { field: 'topic' } }),
    );
    const unknownPolicy = create(ScheduledTaskSchema, { ...taskToRecord(task, undefined), missedRunPolicy: 'sometimes' });
    expect(() => taskFromRecord(unknownPolicy, defaultTopicRegistry, defaults)).toThrow('Unknown missed-run policy "sometimes"');
  });
});
