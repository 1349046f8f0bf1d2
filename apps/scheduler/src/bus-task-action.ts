// The action of a task registered over the bus: its run sends the task's topic with the stored payload. Built-in
// tasks bring their own actions (built-in/); this is the one every registered task shares.
import { fromBinary } from '@bufbuild/protobuf';
import type { BusClient } from '@aico/bus';
import type { TopicRegistry } from '@aico/contracts';
import type { Task } from './task';
import { requestTimeoutMs, type TaskAction } from './task-action';

/**
 * What a registered task does: request its topic (success is a reply) or publish it (success is sending). The topic
 * is in `registry`: registration and loading only accept tasks whose topic it knows.
 */
export function busTaskAction(task: Task, registry: TopicRegistry, bus: BusClient): TaskAction {
  const definition = registry.get(task.topic)!;
  return async (context) => {
    const { runId, signal } = context;
    const payload = fromBinary(definition.payload, task.payload);
    if (definition.kind === 'request') {
      // The run id is the idempotency key: a responder that applied an attempt whose reply was lost answers the
      // retry from its cache instead of doing the work twice.
      await bus.request(definition, payload, { timeoutMs: requestTimeoutMs(context), signal, idempotencyKey: runId });
    } else {
      await bus.publish(definition.topic, payload, { idempotencyKey: runId });
    }
  };
}
