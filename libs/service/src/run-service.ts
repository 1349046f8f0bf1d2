// The bootstrap every aico app's main.ts calls: config → logger → master key → bus client → Nest microservice on
// the bus transport → `system.service.ready` → heartbeats, and a graceful stop on SIGTERM/SIGINT or a shutdown
// request that finishes in-flight work and drains the send queue before the process exits. A process of its own
// (exitOnStop) is private by default (umask 077, a 0700 data directory), names itself in <dataDir>/run/<app>.pid,
// survives a full disk or a broken pipe in its logging, and, when supervised, stops when the supervisor is gone.
import { randomUUID } from 'node:crypto';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { HttpsOptions as NestHttpsOptions } from '@nestjs/common/interfaces/external/https-options.interface';
import { join } from 'node:path';
import { Module, type DynamicModule, type INestApplication, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { BusClient, BusExceptionFilter, deriveClientKeys, ZmqServer } from '@aico/bus';
import { baseConfigSchema, ConfigError, ensurePrivateDataDir, loadConfig, type BaseConfig, type DataDirCheck } from '@aico/config';
import { defaultTopicRegistry, HealthStatus, SystemTopics, type ServiceIdentity, type TopicRegistry } from '@aico/contracts';
import { loadServiceKeys, OsKeychain } from '@aico/key-manager';
import { KeyError, type KeyRing } from '@aico/keys';
import { createProcessLogger, guardStandardStreams, NestPinoLogger, type Logger, type ProcessLogger } from '@aico/logging';
import { publishLogRecords } from './log-publisher';
import { ProcessStatsSampler } from './process-stats';
import { ServicePidFile } from './service-pid-file';
import { ServiceCoreModule } from './service-core.module';
import type { ServiceInfo } from './service.tokens';

/** Exit codes the supervisor can tell apart (sysexits.h). */
export enum ServiceExitCode {
  Ok = 0,
  Failure = 1,
  Unavailable = 69,
  Config = 78,
}

export interface ServiceDefinition {
  readonly identity: ServiceIdentity;
  /** The app's root module (its handlers and providers). */
  readonly module: Type<unknown> | DynamicModule;
  /** The app's config schema: `baseConfigSchema.extend({...})`. Defaults to the base schema. */
  readonly configSchema?: typeof baseConfigSchema;
  readonly registry?: TopicRegistry;
  readonly version?: string;
  /** Environment to read configuration from (tests); defaults to process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** Exit the process after a stop (default true; tests keep their process). */
  readonly exitOnStop?: boolean;
  /** Also serve HTTP (the gateway): called with the loaded config and keys, before the app is created. */
  readonly http?: (context: { readonly config: BaseConfig; readonly keys: KeyRing; readonly logger: Logger }) => Promise<HttpServerSetup>;
}

export interface HttpServerSetup {
  readonly host: string;
  /** 0 picks a free port (tests); RunningService.httpAddress says which. */
  readonly port: number;
  /**
   * TLS (key and certificate, protocol versions, cipher suites) and the deadlines that take effect only when the
   * server is made (handshake, how often header and request deadlines are checked); plain HTTP when absent.
   */
  readonly httpsOptions?: { readonly key: string | Buffer; readonly cert: string | Buffer } & Readonly<
    Pick<HttpsServerOptions, 'minVersion' | 'maxVersion' | 'ciphers' | 'honorCipherOrder' | 'ecdhCurve' | 'handshakeTimeout' | 'connectionsCheckingInterval'>
  >;
  /** Runs on the HTTP app before it listens: body parsing, filters, WebSocket upgrade handling. */
  readonly configure?: (app: INestApplication) => void | Promise<void>;
}

export interface RunningService {
  readonly app: INestApplicationContext;
  /** Where the HTTP server listens, for services that serve HTTP. */
  readonly httpAddress?: { readonly host: string; readonly port: number; readonly url: string };
  readonly bus: BusClient;
  readonly logger: Logger;
  readonly info: ServiceInfo;
  /** Stops gracefully; resolves when everything is closed. */
  stop(reason: string): Promise<void>;
}

@Module({})
class ServiceRootModule {}

function fail(message: string, code: ServiceExitCode): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

export async function runService(definition: ServiceDefinition): Promise<RunningService> {
  const exitOnStop = definition.exitOnStop ?? true;
  if (exitOnStop) {
    // Before the first file is made: every file this process creates is the user's alone (0600, directories 0700),
    // whatever mode a library asks for. Tests running a service in their own process keep their umask.
    process.umask(0o077);
    guardStandardStreams();
  }
  const registry = definition.registry ?? defaultTopicRegistry;
  const version = definition.version ?? '0.1.0';
  let config: BaseConfig;
  let dataDir: DataDirCheck;
  try {
    config = loadConfig({ schema: definition.configSchema ?? baseConfigSchema, ...(definition.env ? { env: definition.env } : {}) }).config;
    dataDir = ensurePrivateDataDir(config.dataDir);
  } catch (error) {
    if (error instanceof ConfigError && exitOnStop) fail(`[${definition.identity}] ${error.message}`, ServiceExitCode.Config);
    throw error;
  }

  const info: ServiceInfo = { identity: definition.identity, instanceId: randomUUID(), version, startedAt: new Date() };
  const processLogger: ProcessLogger = createProcessLogger({
    service: definition.identity,
    instanceId: info.instanceId,
    level: config.log.level,
    pretty: config.log.pretty,
    fileDir: config.log.file ? (config.log.dir ?? join(config.dataDir, 'logs')) : undefined,
    maxFileSize: config.log.maxFileSize,
    maxFiles: config.log.maxFiles,
    tapLevel: config.log.busLevel,
    retryIntervalMs: config.log.retryIntervalMs,
  });
  const logger = processLogger.logger;
  if (dataDir.fixedFromMode !== undefined) {
    logger.warn({ dataDir: config.dataDir, mode: `0${dataDir.fixedFromMode.toString(8)}` }, 'The data directory was open to other users; it is now private (mode 0700)');
  }
  const pidFile = exitOnStop ? new ServicePidFile(config.dataDir, definition.identity, logger) : undefined;
  await pidFile?.write();

  let keys: KeyRing;
  try {
    const loaded = await loadServiceKeys({ ...config, secretStore: new OsKeychain() });
    keys = loaded.keys;
    const fields = { keySource: loaded.source, ...(loaded.keychainReason ? { keychainNotUsed: loaded.keychainReason } : {}) };
    if (loaded.developmentOnly) {
      logger.warn(fields, 'Using the development master key: it is stored unprotected beside the data and is for development only');
    } else {
      logger.info(fields, 'Master key loaded');
    }
  } catch (error) {
    logger.fatal({ code: (error as KeyError).code }, (error as Error).message);
    if (exitOnStop) process.exitCode = error instanceof KeyError ? ServiceExitCode.Config : ServiceExitCode.Failure;
    await pidFile?.remove();
    await processLogger.close();
    if (error instanceof KeyError && exitOnStop) process.exit(ServiceExitCode.Config);
    throw error;
  }

  const bus = new BusClient({
    identity: definition.identity,
    instanceId: info.instanceId,
    publishEndpoint: config.bus.publishEndpoint,
    subscribeEndpoint: config.bus.subscribeEndpoint,
    curve: deriveClientKeys(keys, definition.identity),
    registry,
    logger,
    sendHighWaterMark: config.bus.sendHighWaterMark,
    receiveHighWaterMark: config.bus.receiveHighWaterMark,
    maxEnvelopeBytes: config.bus.maxEnvelopeBytes,
    requestTimeoutMs: config.bus.requestTimeoutMs,
    streamIdleTimeoutMs: config.bus.streamIdleTimeoutMs,
    readyTimeoutMs: config.bus.readyTimeoutMs,
  });
  const server = new ZmqServer(bus, registry);
  // Log lines go on the bus too (held until it is routable), where storage keeps them.
  processLogger.tap.attach(publishLogRecords(bus));
  const root: DynamicModule = {
    module: ServiceRootModule,
    imports: [ServiceCoreModule.forRoot({ config, logger, info, keys, bus, registry }), definition.module],
  };

  // Subscribed before the client connects, so a supervisor that reacts to `system.service.ready` with a shutdown
  // request is heard. Until stop() exists, a request is remembered.
  let requestStop = (reason: string): void => void (earlyStopReason ??= reason);
  let earlyStopReason: string | undefined;
  bus.subscribe(SystemTopics.serviceShutdown, (request) => {
    const target = request.payload.service;
    if (target !== '' && target !== info.identity) return;
    requestStop(`shutdown requested by ${request.source}${request.payload.reason ? `: ${request.payload.reason}` : ''}`);
  });

  let app: INestApplicationContext;
  let httpAddress: RunningService['httpAddress'];
  try {
    if (definition.http) {
      const setup = await definition.http({ config, keys, logger });
      const httpApp = await NestFactory.create(root, {
        logger: new NestPinoLogger(logger),
        bodyParser: false,
        abortOnError: false,
        ...(setup.httpsOptions ? { httpsOptions: { ...setup.httpsOptions } as NestHttpsOptions } : {}),
      });
      httpApp.connectMicroservice({ strategy: server }).useGlobalFilters(new BusExceptionFilter());
      await setup.configure?.(httpApp);
      await httpApp.startAllMicroservices();
      await httpApp.listen(setup.port, setup.host);
      const port = (httpApp.getHttpServer() as { address(): { port: number } }).address().port;
      httpAddress = { host: setup.host, port, url: `${setup.httpsOptions ? 'https' : 'http'}://${setup.host}:${port}` };
      app = httpApp;
    } else {
      const microservice = await NestFactory.createMicroservice(root, { strategy: server, logger: new NestPinoLogger(logger) });
      microservice.useGlobalFilters(new BusExceptionFilter());
      await microservice.listen();
      app = microservice;
    }
  } catch (error) {
    logger.fatal({ err: error }, `${definition.identity} failed to start: ${(error as Error).message}`);
    if (exitOnStop) process.exitCode = ServiceExitCode.Unavailable;
    await bus.close({ drainTimeoutMs: 0 });
    await pidFile?.remove();
    await processLogger.close();
    if (exitOnStop) process.exit(ServiceExitCode.Unavailable);
    throw error;
  }

  const stats = new ProcessStatsSampler();
  let status = HealthStatus.OK;
  const beat = (): void => {
    const sample = stats.sample();
    const busStats = bus.stats;
    bus
      .publish(SystemTopics.heartbeat, {
        service: info.identity,
        instanceId: info.instanceId,
        version,
        status,
        intervalMs: config.bus.heartbeatIntervalMs,
        startedAt: timestampFromDate(info.startedAt),
        process: {
          pid: sample.pid,
          uptimeMs: BigInt(sample.uptimeMs),
          rssBytes: BigInt(sample.rssBytes),
          heapUsedBytes: BigInt(sample.heapUsedBytes),
          heapTotalBytes: BigInt(sample.heapTotalBytes),
          cpuPercent: sample.cpuPercent,
          eventLoopDelayP99Ms: sample.eventLoopDelayP99Ms,
        },
        bus: {
          published: BigInt(busStats.published),
          received: BigInt(busStats.received),
          dropped: BigInt(busStats.dropped),
          droppedByReason: Object.fromEntries(Object.entries(busStats.droppedByReason).map(([k, v]) => [k, BigInt(v)])),
          sendQueueLength: busStats.sendQueueLength,
        },
      })
      .catch((error: unknown) => logger.debug({ err: error }, 'Heartbeat not sent'));
  };
  const heartbeat = setInterval(beat, config.bus.heartbeatIntervalMs);
  heartbeat.unref();

  let stopping: Promise<void> | undefined;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      const timeoutMs = config.shutdownTimeoutMs;
      const force = setTimeout(() => {
        logger.error({ reason, timeoutMs }, 'Graceful stop took too long; exiting anyway');
        if (exitOnStop) process.exit(ServiceExitCode.Failure);
      }, timeoutMs);
      force.unref();
      logger.info({ reason }, `${info.identity} stopping`);
      status = HealthStatus.STOPPING;
      clearInterval(heartbeat);
      stats.stop();
      // Not awaited: with the bus down it would wait for the bus to return. close() below drains it, bounded.
      bus.publish(SystemTopics.serviceStopping, { service: info.identity, instanceId: info.instanceId, reason }).catch(() => undefined);
      bus.stopIntake();
      processLogger.tap.detach();
      const idle = await bus.waitForHandlers(timeoutMs / 2);
      if (!idle) logger.warn('Some handlers were still running when the stop budget ran out');
      await bus.close({ drainTimeoutMs: timeoutMs / 4 });
      await app.close();
      keys.destroy();
      logger.info({ reason }, `${info.identity} stopped`);
      clearTimeout(force);
      await pidFile?.remove();
      await processLogger.close();
      process.off('SIGTERM', onSigterm);
      process.off('SIGINT', onSigint);
    })();
    return stopping;
  };

  const onSigterm = (): void => void stop('SIGTERM').then(() => exitOnStop && process.exit(ServiceExitCode.Ok));
  const onSigint = (): void => void stop('SIGINT').then(() => exitOnStop && process.exit(ServiceExitCode.Ok));
  process.on('SIGTERM', onSigterm);
  process.on('SIGINT', onSigint);
  if (exitOnStop) {
    const crash = (error: unknown, what: string): void => {
      logger.fatal({ err: error }, `${what}; exiting so the supervisor restarts this service`);
      void pidFile!
        .remove()
        .then(() => processLogger.close())
        .finally(() => process.exit(ServiceExitCode.Failure));
    };
    process.on('uncaughtException', (error) => crash(error, 'Uncaught exception'));
    process.on('unhandledRejection', (error) => crash(error, 'Unhandled promise rejection'));
  }

  requestStop = (reason) => void stop(reason).then(() => exitOnStop && process.exit(ServiceExitCode.Ok));
  if (earlyStopReason) requestStop(earlyStopReason);
  if (config.supervised && exitOnStop) watchSupervisor(logger, () => requestStop('the supervisor is gone (its pipe to this app closed)'));

  await bus.publish(SystemTopics.serviceReady, {
    service: info.identity,
    instanceId: info.instanceId,
    version,
    pid: process.pid,
    startedAt: timestampFromDate(info.startedAt),
    handles: [...server.handledTopics],
  });
  beat();
  logger.info({ handles: server.handledTopics, ...(httpAddress ? { url: httpAddress.url } : {}) }, `${info.identity} ready`);
  return { app, bus, logger, info, stop, ...(httpAddress ? { httpAddress } : {}) };
}

/**
 * The supervisor gives each app a pipe as stdin and never writes to it: when the supervisor ends, however it ends
 * (SIGKILL included), the operating system closes the pipe and stdin ends here (Linux, macOS and Windows alike).
 */
function watchSupervisor(logger: Logger, onGone: () => void): void {
  let gone = false;
  const once = (): void => {
    if (gone) return;
    gone = true;
    logger.warn('The supervisor is gone; stopping');
    onGone();
  };
  process.stdin.on('error', once);
  process.stdin.once('end', once);
  process.stdin.once('close', once);
  process.stdin.resume();
}
