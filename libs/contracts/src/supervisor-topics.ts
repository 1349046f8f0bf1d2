// Topics of the supervisor (`aico start`): its apps' state on request and on change.
import { SupervisedAppChangedSchema, SupervisorStatusRequestSchema, SupervisorStatusResponseSchema } from './gen/aico/system/v1/supervisor_pb';
import { defineEvent, defineRequest } from './topic-registry';

export const SupervisorTopics = {
  status: defineRequest({
    topic: 'system.supervisor.status',
    payload: SupervisorStatusRequestSchema,
    response: SupervisorStatusResponseSchema,
    publishers: 'any',
    responders: ['supervisor'],
    contractVersion: 1,
    description: 'Every supervised app: state, pid, uptime, restarts, memory.',
  }),
  appChanged: defineEvent({
    topic: 'system.supervisor.app_changed',
    payload: SupervisedAppChangedSchema,
    publishers: ['supervisor'],
    contractVersion: 1,
    description: 'A supervised app changed state (started, ready, crashed, restarting, failed, stopped).',
  }),
} as const;
