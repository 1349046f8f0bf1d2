// The bootstrap every aico app's main.ts calls: config → logger → master key → bus client → Nest microservice on
// the bus transport → `system.service.ready` → heartbeats, and a graceful stop on SIGTERM/SIGINT or a shutdown
// request that finishes in-flight work and drains the send queue before the process exits. A process of its own
// (exitOnStop) is private by default (umask 077, a 0700 data directory), names itself in <dataDir>/run/<app>.pid,
// survives a full disk or a broken pipe in its logging, and, when supervised, stops when the supervisor is gone.
// The steps live beside it (service-startup, service-heartbeat, stop-triggers, ordered-stop); this composes them.
import { randomUUID } from 'node:crypto';
import { Module, type DynamicModule } from '@nestjs/common';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { ZmqServer } from '@aico/bus';
import { defaultTopicRegistry, SystemTopics } from '@aico/contracts';
import { KeyError } from '@aico/keys';
import { guardStandardStreams } from '@aico/logging';
import { AccessPolicy } from '@aico/policy';
import { publishLogRecords } from './log-publisher';
import { OrderedStop } from './ordered-stop';
import { ServiceCoreModule } from './service-core.module';
import { ServiceExitCode, type RunningService, type ServiceConfigSchema, type ServiceDefinition } from './service-definition';
import { ServiceHeartbeat } from './service-heartbeat';
import { ServicePidFile } from './service-pid-file';
import { abandonStartup, createBusClient, loadMasterKeys, loadServiceConfig, openProcessLogger, startNestApp } from './service-startup';
import type { ServiceInfo } from './service.tokens';
import { StopTriggers } from './stop-triggers';

export * from './service-definition';

@Module({})
class ServiceRootModule {}

export async function runService<S extends ServiceConfigSchema = ServiceConfigSchema>(definition: ServiceDefinition<S>): Promise<RunningService> {
  const exitOnStop = definition.exitOnStop ?? true;
  if (exitOnStop) {
    // Before the first file is made: every file this process creates is the user's alone (0600, directories 0700),
    // whatever mode a library asks for. Tests running a service in their own process keep their umask.
    process.umask(0o077);
    guardStandardStreams();
  }
  const registry = definition.registry ?? defaultTopicRegistry;
  const policy = definition.policy ?? new AccessPolicy(registry);
  const { config, dataDir } = loadServiceConfig(definition, exitOnStop);
  const info: ServiceInfo = { identity: definition.identity, instanceId: randomUUID(), version: definition.version ?? '0.1.0', startedAt: new Date() };
  const processLogger = openProcessLogger(config, info, dataDir);
  const logger = processLogger.logger;
  const pidFile = exitOnStop ? new ServicePidFile(config.dataDir, definition.identity, logger) : undefined;
  await pidFile?.write();
  const parts = { processLogger, pidFile, exitOnStop };

  const keys = await loadMasterKeys(config, logger).catch((error: unknown) =>
    abandonStartup(parts, {
      error,
      code: error instanceof KeyError ? ServiceExitCode.Config : ServiceExitCode.Failure,
      exitNow: error instanceof KeyError,
      log: { code: (error as KeyError).code },
      message: (error as Error).message,
    }),
  );
  const bus = createBusClient(config, keys, info, { registry, policy }, logger);
  const server = new ZmqServer(bus, registry);
  // Log lines go on the bus too (held until it is routable), where storage keeps them.
  processLogger.tap.attach(publishLogRecords(bus));
  const root: DynamicModule = {
    module: ServiceRootModule,
    imports: [ServiceCoreModule.forRoot({ config, logger, info, keys, bus, registry, policy }), definition.module],
  };
  // Listening before the client connects, so a supervisor that answers `system.service.ready` with a shutdown is heard.
  const triggers = new StopTriggers(bus, info, logger);

  const { app, httpAddress } = await startNestApp(root, server, definition, { config, keys, logger }).catch((error: unknown) =>
    abandonStartup(
      parts,
      {
        error,
        code: ServiceExitCode.Unavailable,
        exitNow: true,
        log: { err: error },
        message: `${definition.identity} failed to start: ${(error as Error).message}`,
      },
      () => bus.close({ drainTimeoutMs: 0 }),
    ),
  );

  const heartbeat = new ServiceHeartbeat(bus, info, config.bus.heartbeatIntervalMs, logger);
  const exit = (code: 'ok' | 'failure'): never => process.exit(code === 'ok' ? ServiceExitCode.Ok : ServiceExitCode.Failure);
  const ordered = new OrderedStop({
    info,
    bus,
    app,
    keys,
    heartbeat,
    processLogger,
    pidFile,
    timeoutMs: config.shutdownTimeoutMs,
    overran: () => exitOnStop && exit('failure'),
    stopped: () => triggers.disarm(),
  });
  const stop = (reason: string): Promise<void> => ordered.stop(reason);
  triggers.arm({
    stop,
    exitOnStop,
    supervised: config.supervised,
    onCrash: () => pidFile!.remove().then(() => processLogger.close()),
    exit,
  });

  await bus.publish(SystemTopics.serviceReady, {
    service: info.identity,
    instanceId: info.instanceId,
    version: info.version,
    pid: process.pid,
    startedAt: timestampFromDate(info.startedAt),
    handles: [...server.handledTopics],
  });
  heartbeat.start();
  logger.info({ handles: server.handledTopics, ...(httpAddress ? { url: httpAddress.url } : {}) }, `${info.identity} ready`);
  return { app, bus, logger, info, stop, ...(httpAddress ? { httpAddress } : {}) };
}
