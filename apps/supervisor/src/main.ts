// The supervisor process (`aico start`, `npm start`, the OS service): runs every aico app, restarts the ones that
// crash, and stops them all in reverse order on SIGTERM/SIGINT.
import { ConfigError, ensurePrivateDataDir, loadConfig } from '@aico/config';
import { loadServiceKeys, OsKeychain } from '@aico/key-manager';
import { createProcessLogger, guardStandardStreams } from '@aico/logging';
import { Supervisor } from './supervisor';
import { acquireSupervisorLock, AlreadyRunningError } from './supervisor-lock';
import { supervisorConfigSchema, type SupervisorConfig } from './supervisor.config';

export enum SupervisorExitCode {
  Ok = 0,
  Failed = 1,
  AlreadyRunning = 75,
  Config = 78,
}

async function main(): Promise<void> {
  // Before the first file is made: everything aico creates is the user's alone (files 0600, directories 0700), and
  // a broken pipe or full disk under stdout/stderr is never an uncaught exception.
  process.umask(0o077);
  guardStandardStreams();
  let config: SupervisorConfig;
  let fixedFromMode: number | undefined;
  try {
    config = loadConfig({ schema: supervisorConfigSchema }).config;
    fixedFromMode = ensurePrivateDataDir(config.dataDir).fixedFromMode;
  } catch (error) {
    process.stderr.write(`[supervisor] ${(error as Error).message}\n`);
    process.exit(error instanceof ConfigError ? SupervisorExitCode.Config : SupervisorExitCode.Failed);
  }
  // The supervisor's own lines; the apps keep their own log files.
  const processLogger = createProcessLogger({
    service: 'supervisor',
    level: config.log.level,
    pretty: config.log.pretty,
    fileDir: config.log.file ? (config.log.dir ?? `${config.dataDir}/logs`) : undefined,
    maxFileSize: config.log.maxFileSize,
    maxFiles: config.log.maxFiles,
    retryIntervalMs: config.log.retryIntervalMs,
  });
  const logger = processLogger.logger;
  if (fixedFromMode !== undefined)
    logger.warn(
      { dataDir: config.dataDir, mode: `0${fixedFromMode.toString(8)}` },
      'The data directory was open to other users; it is now private (mode 0700)',
    );
  const exit = async (code: SupervisorExitCode) => {
    await processLogger.close();
    process.exit(code);
  };

  let releaseLock: () => Promise<void>;
  try {
    releaseLock = await acquireSupervisorLock(config.dataDir);
  } catch (error) {
    logger.fatal({ pid: (error as AlreadyRunningError).pid, code: (error as NodeJS.ErrnoException).code }, (error as Error).message);
    return exit(error instanceof AlreadyRunningError ? SupervisorExitCode.AlreadyRunning : SupervisorExitCode.Failed);
  }
  const release = () => releaseLock().catch((error: unknown) => logger.warn({ err: error }, 'Could not remove the supervisor pid file'));
  let keys;
  try {
    keys = (await loadServiceKeys({ ...config, secretStore: new OsKeychain() })).keys;
  } catch (error) {
    logger.fatal({ code: (error as { code?: string }).code }, (error as Error).message);
    await release();
    return exit(SupervisorExitCode.Config);
  }

  const supervisor = new Supervisor(config, keys, logger);
  let stopping: Promise<void> | undefined;
  const stop = (reason: string, code: SupervisorExitCode) => {
    stopping ??= supervisor
      .stop(reason)
      .then(release)
      .then(() => exit(code));
    return stopping;
  };
  process.on('SIGTERM', () => void stop('SIGTERM', SupervisorExitCode.Ok));
  process.on('SIGINT', () => void stop('SIGINT', SupervisorExitCode.Ok));
  try {
    await supervisor.start();
  } catch (error) {
    // A stop asked for while the apps started (Ctrl-C) ends the waiting too: that is no failure.
    if (stopping) return;
    logger.fatal({ err: error }, `aico could not start: ${(error as Error).message}`);
    await stop('start failed', SupervisorExitCode.Failed);
  }
}

void main();
