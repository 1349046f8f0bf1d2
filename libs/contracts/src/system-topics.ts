// Topics of the `system` domain: lifecycle, health, logs and the ping used for readiness and round-trip time.
import { HeartbeatSchema } from './gen/aico/system/v1/heartbeat_pb';
import { LogEntrySchema } from './gen/aico/system/v1/log_pb';
import { PingRequestSchema, PingResponseSchema } from './gen/aico/system/v1/ping_pb';
import { ServiceReadySchema, ServiceStoppingSchema, ShutdownRequestSchema } from './gen/aico/system/v1/service_pb';
import { defineEvent, defineRequest } from './topic-registry';

export const SystemTopics = {
  serviceReady: defineEvent({
    topic: 'system.service.ready',
    payload: ServiceReadySchema,
    publishers: 'any',
    contractVersion: 1,
    description: 'A service connected to the bus and can serve.',
  }),
  serviceStopping: defineEvent({
    topic: 'system.service.stopping',
    payload: ServiceStoppingSchema,
    publishers: 'any',
    contractVersion: 1,
    description: 'A service began a graceful stop.',
  }),
  serviceShutdown: defineEvent({
    topic: 'system.service.shutdown',
    payload: ShutdownRequestSchema,
    publishers: ['supervisor', 'cli'],
    contractVersion: 1,
    description: 'Asks one service, or all, to stop gracefully.',
  }),
  heartbeat: defineEvent({
    topic: 'system.health.heartbeat',
    payload: HeartbeatSchema,
    publishers: 'any',
    contractVersion: 1,
    description: 'Periodic liveness and process statistics of a service.',
  }),
  ping: defineRequest({
    topic: 'system.health.ping',
    payload: PingRequestSchema,
    response: PingResponseSchema,
    publishers: 'any',
    responders: 'any',
    contractVersion: 1,
    description: 'Round-trip check answered by the service named in `target` (any service when empty).',
  }),
  logEntry: defineEvent({
    topic: 'system.log.entry',
    payload: LogEntrySchema,
    publishers: 'any',
    contractVersion: 1,
    description: 'One structured log entry, persisted by storage.',
  }),
} as const;
