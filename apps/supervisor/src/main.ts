// The supervisor process (`aico start`, `npm start`, the OS service): runs every aico app, restarts the ones that
// crash, and stops them all in reverse order on SIGTERM/SIGINT.
import { ConfigError, loadConfig } from '@aico/config';
import { loadServiceKeys, OsKeychain } from '@aico/key-manager';
import { createProcessLogger } from '@aico/logging';
import { acquirePidFile, AlreadyRunningError } from './pid-file';
import { Supervisor } from './supervisor';
import { supervisorConfigSchema, type SupervisorConfig } from './supervisor.config';

export enum SupervisorExitCode {
  Ok = 0,
  Failed = 1,
  AlreadyRunning = 75,
  Config = 78,
}

async function main(): Promise<void> {
  let config: SupervisorConfig;
  try {
    config = loadConfig({ schema: supervisorConfigSchema }).config;
  } catch (error) {
    process.stderr.write(`[supervisor] ${(error as Error).message}\n`);
    process.exit(error instanceof ConfigError ? SupervisorExitCode.Config : SupervisorExitCode.Failed);
  }
  // The supervisor's own lines; the apps keep their own log files.
  const processLogger = createProcessLogger({ service: 'supervisor', level: config.log.level, pretty: config.log.pretty, fileDir: config.log.file ? `${config.dataDir}/logs` : undefined });
  const logger = processLogger.logger;
  const exit = async (code: SupervisorExitCode) => {
    await processLogger.close();
    process.exit(code);
  };

  let releasePidFile: () => Promise<void>;
  try {
    releasePidFile = await acquirePidFile(config.dataDir);
  } catch (error) {
    logger.fatal({ pid: (error as AlreadyRunningError).pid }, (error as Error).message);
    return exit(error instanceof AlreadyRunningError ? SupervisorExitCode.AlreadyRunning : SupervisorExitCode.Failed);
  }
  let keys;
  try {
    keys = (await loadServiceKeys({ ...config, secretStore: new OsKeychain() })).keys;
  } catch (error) {
    logger.fatal({ code: (error as { code?: string }).code }, (error as Error).message);
    await releasePidFile();
    return exit(SupervisorExitCode.Config);
  }

  const supervisor = new Supervisor(config, keys, logger);
  let stopping: Promise<void> | undefined;
  const stop = (reason: string, code: SupervisorExitCode) => {
    stopping ??= supervisor
      .stop(reason)
      .then(releasePidFile)
      .then(() => exit(code));
    return stopping;
  };
  process.on('SIGTERM', () => void stop('SIGTERM', SupervisorExitCode.Ok));
  process.on('SIGINT', () => void stop('SIGINT', SupervisorExitCode.Ok));
  try {
    await supervisor.start();
  } catch (error) {
    logger.fatal({ err: error }, `aico could not start: ${(error as Error).message}`);
    await stop('start failed', SupervisorExitCode.Failed);
  }
}

void main();
