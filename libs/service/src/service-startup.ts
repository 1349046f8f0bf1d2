// The steps runService takes before a service is up, each on its own: config (a ConfigError ends the process with
// EX_CONFIG), the process logger, the master key, the bus client, and the Nest app (a microservice on the bus
// transport, or an HTTP server that also serves the bus). A failed step leaves nothing behind.
import { join } from 'node:path';
import type { HttpsOptions as NestHttpsOptions } from '@nestjs/common/interfaces/external/https-options.interface';
import type { DynamicModule, INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BusClient, BusExceptionFilter, deriveClientKeys, type ZmqServer } from '@aico/bus';
import { baseConfigSchema, ConfigError, ensurePrivateDataDir, loadConfig, type BaseConfig, type DataDirCheck } from '@aico/config';
import type { TopicRegistry } from '@aico/contracts';
import { loadServiceKeys, OsKeychain } from '@aico/key-manager';
import type { KeyRing } from '@aico/keys';
import { createProcessLogger, NestPinoLogger, type Logger, type ProcessLogger } from '@aico/logging';
import type { AccessPolicy } from '@aico/policy';
import { ServiceExitCode, type HttpAddress, type ServiceConfig, type ServiceConfigSchema, type ServiceDefinition } from './service-definition';
import type { ServicePidFile } from './service-pid-file';
import type { ServiceInfo } from './service.tokens';

/** Loads and checks the app's config and makes its data directory private; a process of its own exits on a bad one. */
export function loadServiceConfig<S extends ServiceConfigSchema>(
  definition: ServiceDefinition<S>,
  exitOnStop: boolean,
): { config: ServiceConfig<S>; dataDir: DataDirCheck } {
  try {
    const { config } = loadConfig({ schema: definition.configSchema ?? baseConfigSchema, ...(definition.env ? { env: definition.env } : {}) });
    // The schema is S or, when absent, the base schema S defaults to.
    return { config: config as ServiceConfig<S>, dataDir: ensurePrivateDataDir(config.dataDir) };
  } catch (error) {
    if (error instanceof ConfigError && exitOnStop) {
      process.stderr.write(`[${definition.identity}] ${error.message}\n`);
      process.exit(ServiceExitCode.Config);
    }
    throw error;
  }
}

/** The process's logger; says so when the data directory was open to others (found before there was a logger). */
export function openProcessLogger(config: BaseConfig, info: ServiceInfo, dataDir: DataDirCheck): ProcessLogger {
  const processLogger = createProcessLogger({
    service: info.identity,
    instanceId: info.instanceId,
    level: config.log.level,
    pretty: config.log.pretty,
    fileDir: config.log.file ? (config.log.dir ?? join(config.dataDir, 'logs')) : undefined,
    maxFileSize: config.log.maxFileSize,
    maxFiles: config.log.maxFiles,
    tapLevel: config.log.busLevel,
    retryIntervalMs: config.log.retryIntervalMs,
  });
  if (dataDir.fixedFromMode !== undefined) {
    processLogger.logger.warn(
      { dataDir: config.dataDir, mode: `0${dataDir.fixedFromMode.toString(8)}` },
      'The data directory was open to other users; it is now private (mode 0700)',
    );
  }
  return processLogger;
}

/** The master key from the keychain, the key file or (development) beside the data; says which. */
export async function loadMasterKeys(config: BaseConfig, logger: Logger): Promise<KeyRing> {
  const loaded = await loadServiceKeys({ ...config, secretStore: new OsKeychain() });
  const fields = { keySource: loaded.source, ...(loaded.keychainReason ? { keychainNotUsed: loaded.keychainReason } : {}) };
  if (loaded.developmentOnly) {
    logger.warn(fields, 'Using the development master key: it is stored unprotected beside the data and is for development only');
  } else {
    logger.info(fields, 'Master key loaded');
  }
  return loaded.keys;
}

export function createBusClient(
  config: BaseConfig,
  keys: KeyRing,
  info: ServiceInfo,
  shared: { registry: TopicRegistry; policy: AccessPolicy },
  logger: Logger,
): BusClient {
  return new BusClient({
    identity: info.identity,
    instanceId: info.instanceId,
    publishEndpoint: config.bus.publishEndpoint,
    subscribeEndpoint: config.bus.subscribeEndpoint,
    curve: deriveClientKeys(keys, info.identity),
    registry: shared.registry,
    policy: shared.policy,
    logger,
    sendHighWaterMark: config.bus.sendHighWaterMark,
    receiveHighWaterMark: config.bus.receiveHighWaterMark,
    maxEnvelopeBytes: config.bus.maxEnvelopeBytes,
    requestTimeoutMs: config.bus.requestTimeoutMs,
    streamIdleTimeoutMs: config.bus.streamIdleTimeoutMs,
    readyTimeoutMs: config.bus.readyTimeoutMs,
  });
}

/** Creates the app on the bus transport (and, with `http`, its HTTP server) and starts it. */
export async function startNestApp<S extends ServiceConfigSchema>(
  root: DynamicModule,
  server: ZmqServer,
  definition: ServiceDefinition<S>,
  context: { readonly config: ServiceConfig<S>; readonly keys: KeyRing; readonly logger: Logger },
): Promise<{ app: INestApplicationContext; httpAddress?: HttpAddress }> {
  const nestLogger = new NestPinoLogger(context.logger);
  if (!definition.http) {
    const microservice = await NestFactory.createMicroservice(root, { strategy: server, logger: nestLogger });
    microservice.useGlobalFilters(new BusExceptionFilter());
    await microservice.listen();
    return { app: microservice };
  }
  const setup = await definition.http(context);
  const httpApp = await NestFactory.create(root, {
    logger: nestLogger,
    bodyParser: false,
    abortOnError: false,
    ...(setup.httpsOptions ? { httpsOptions: { ...setup.httpsOptions } as NestHttpsOptions } : {}),
  });
  httpApp.connectMicroservice({ strategy: server }).useGlobalFilters(new BusExceptionFilter());
  await setup.configure?.(httpApp);
  await httpApp.startAllMicroservices();
  await httpApp.listen(setup.port, setup.host);
  const port = (httpApp.getHttpServer() as { address(): { port: number } }).address().port;
  return { app: httpApp, httpAddress: { host: setup.host, port, url: `${setup.httpsOptions ? 'https' : 'http'}://${setup.host}:${port}` } };
}

export interface StartupParts {
  readonly processLogger: ProcessLogger;
  readonly pidFile: ServicePidFile | undefined;
  readonly exitOnStop: boolean;
}

/**
 * A start that failed after the logger existed: log why, set the exit code, leave no pid file and flush the logs;
 * a process of its own exits with `code` when `exitNow`, and the error is thrown on either way.
 */
export async function abandonStartup(
  parts: StartupParts,
  failure: {
    readonly error: unknown;
    readonly code: ServiceExitCode;
    readonly exitNow: boolean;
    readonly log: Record<string, unknown>;
    readonly message: string;
  },
  cleanup?: () => Promise<void>,
): Promise<never> {
  const { error, code, exitNow } = failure;
  parts.processLogger.logger.fatal(failure.log, failure.message);
  if (parts.exitOnStop) process.exitCode = code;
  await cleanup?.();
  await parts.pidFile?.remove();
  await parts.processLogger.close();
  if (exitNow && parts.exitOnStop) process.exit(code);
  throw error;
}
