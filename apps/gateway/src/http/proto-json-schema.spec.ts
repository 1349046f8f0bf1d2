// The schema read from a contract message accepts exactly what protobuf-es `toJson` writes for it: nested
// messages, enums by name, 64-bit integers as strings, bytes as base64, timestamps, and fields left out at default.
import { create, toJson } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { MissedRunPolicy, RunStatus, SchedulerTopics } from '@aico/contracts';
import { protoJsonSchema } from './proto-json-schema';

describe('protoJsonSchema', () => {
  const list = protoJsonSchema(SchedulerTopics.list.response);
  const trigger = protoJsonSchema(SchedulerTopics.trigger.response);

  it('accepts what toJson writes, however full or empty the message', () => {
    const full = create(SchedulerTopics.list.response, {
      tasks: [
        {
          definition: {
            name: 'backup',
            schedule: { kind: { case: 'intervalMs', value: 86_400_000n } },
            topic: 'storage.backup.create',
            payload: new Uint8Array([1, 2, 250]),
            retry: { maxAttempts: 3, jitter: 0.25 },
            missedRunPolicy: MissedRunPolicy.SKIP,
          },
          owner: 'scheduler',
          builtIn: true,
          nextRunAt: timestampFromMs(Date.UTC(2026, 10, 26, 3, 30, 0, 123)),
        },
        { definition: { name: 'sweep', schedule: { kind: { case: 'cron', value: '0 30 3 * * *' }, timeZone: 'Europe/Berlin' } }, paused: true },
      ],
    });
    const json = toJson(SchedulerTopics.list.response, full);
    expect(json).toMatchObject({
      tasks: [{ definition: { schedule: { intervalMs: '86400000' }, missedRunPolicy: 'MISSED_RUN_POLICY_SKIP', payload: 'AQL6' } }, {}],
    });
    expect(list.safeParse(json).error).toBeUndefined();
    expect(list.safeParse(toJson(SchedulerTopics.list.response, create(SchedulerTopics.list.response))).success).toBe(true);
    const run = toJson(
      SchedulerTopics.trigger.response,
      create(SchedulerTopics.trigger.response, {
        runId: 'r1',
        started: true,
        lastAttempt: { attempt: 1, status: RunStatus.SUCCEEDED, finishedAt: timestampFromMs(Date.now()) },
      }),
    );
    expect(trigger.safeParse(run).error).toBeUndefined();
  });

  it('refuses fields the message does not have, enum values it does not know, and 64-bit integers as numbers', () => {
    expect(list.safeParse({ tasks: [{ owner: 'x', secret: true }] }).success).toBe(false);
    expect(list.safeParse({ tasks: [{ definition: { missedRunPolicy: 'SOMETIMES' } }] }).success).toBe(false);
    expect(list.safeParse({ tasks: [{ definition: { schedule: { intervalMs: 1000 } } }] }).success).toBe(false);
    expect(trigger.safeParse({ lastAttempt: { startedAt: 'yesterday' } }).success).toBe(false);
  });
});
