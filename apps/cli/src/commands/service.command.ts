// `aico service install | uninstall | status`: aico's supervisor as an OS service of the current user (systemd user
// unit, launchd agent, or a WinSW-wrapped Windows service), from one definition. `install --print` shows the
// files for any platform without touching this machine.
import { mkdir, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { CliError, ExitCode } from '../exit-codes';
import { LaunchdServiceManager } from '../service/launchd-service.manager';
import { describeService, SERVICE_PLATFORMS, type ServiceDefinition, type ServicePlatform } from '../service/service-definition';
import { systemServiceHost, type ServiceHost, type ServiceManager, type ServiceStatus } from '../service/service-manager';
import { ServiceError, ServiceErrorCode } from '../service/service.error';
import { SystemdServiceManager } from '../service/systemd-service.manager';
import { WindowsServiceManager } from '../service/windows-service.manager';

interface InstallCommandOptions {
  platform?: string;
  print?: boolean;
  start: boolean;
  supervisor?: string;
  node?: string;
  dataDir?: string;
  masterKeyFile?: string;
}

export function serviceExitCode(code: ServiceErrorCode): ExitCode {
  switch (code) {
    case ServiceErrorCode.InvalidDefinition:
    case ServiceErrorCode.WrongPlatform:
      return ExitCode.Usage;
    case ServiceErrorCode.SupervisorNotBuilt:
    case ServiceErrorCode.NotSetUp:
      return ExitCode.NoInput;
    case ServiceErrorCode.ManagerUnavailable:
      return ExitCode.Unavailable;
    case ServiceErrorCode.ManagerFailed:
      return ExitCode.Failure;
    case ServiceErrorCode.FileFailed:
      return ExitCode.IoError;
  }
}

export function managerFor(platform: ServicePlatform, host: ServiceHost, dataDir: string): ServiceManager {
  switch (platform) {
    case 'linux':
      return new SystemdServiceManager(host);
    case 'darwin':
      return new LaunchdServiceManager(host);
    case 'win32':
      return new WindowsServiceManager(host, dataDir);
  }
}

export function registerService(program: Command, context: () => CliContext, host: () => ServiceHost = systemServiceHost): void {
  const service = program.command('service').description('run aico as a service of your user: started at login, restarted after a crash');

  service
    .command('install')
    .description('install and start the service for this platform (systemd user unit, launchd agent, Windows service files)')
    .option('--platform <platform>', `write for ${SERVICE_PLATFORMS.join(', ')} (only with --print unless it is this machine's)`)
    .option('--print', 'print the service files instead of installing them')
    .option('--no-start', 'install and enable, but do not start it now')
    .option('--supervisor <main.js>', "the supervisor's built main.js (default: the one beside this CLI's build)")
    .option('--node <path>', 'the node executable the service runs (default: the one running this command)')
    .option('--data-dir <dir>', "the service's data directory (default: this command's, from AICO_DATA_DIR or the platform's)")
    .option('--master-key-file <file>', 'a 0600 master key file for the service (default: AICO_MASTER_KEY_FILE, if set); without one it reads the OS keychain')
    .action((options: InstallCommandOptions) =>
      mapErrors(async () => {
        const cli = context();
        const machine = host();
        const platform = targetPlatform(options, machine);
        const local = platform === machine.platform;
        // Relative paths mean this machine's working directory; for another platform's files they mean nothing.
        const path = (value: string) => (local && !isAbsolute(value) ? resolve(value) : value);
        const definition = describeService({
          platform,
          nodePath: path(options.node ?? machine.nodePath),
          entryPoint: path(options.supervisor ?? machine.supervisorEntryPoint),
          dataDir: path(options.dataDir ?? cli.config.dataDir),
          masterKeyFile: options.masterKeyFile !== undefined ? path(options.masterKeyFile) : cli.config.masterKeyFile,
          homeDir: machine.homeDir,
        });
        const manager = managerFor(platform, machine, definition.workingDirectory);
        if (options.print) {
          if (!local && (options.node === undefined || options.supervisor === undefined || options.dataDir === undefined)) {
            cli.progress(`Paths not given with --node, --supervisor or --data-dir are this ${machine.platform} machine's; name the ${platform} machine's.`);
          }
          const files = manager.files(definition);
          for (const file of files) {
            // One file is printed bare, so `--print > aico.service` is the file itself.
            if (files.length > 1) cli.out(`==> ${file.path} <==`);
            cli.out(file.content.replace(/\r?\n$/, ''));
          }
          return;
        }
        await assertRunnable(definition);
        await assertKeySource(cli, definition, options.start);
        // The service starts in the data directory (WorkingDirectory): it must exist before the first start.
        await mkdir(definition.workingDirectory, { recursive: true, mode: 0o700 });
        for (const line of await manager.install(definition, { start: options.start })) cli.out(line);
      }),
    );

  service
    .command('uninstall')
    .description('stop the service, disable it and remove its files (the data directory is left alone)')
    .action(() =>
      mapErrors(async () => {
        const cli = context();
        const machine = host();
        for (const line of await managerFor(currentPlatform(machine), machine, cli.config.dataDir).uninstall()) cli.out(line);
      }),
    );

  service
    .command('status')
    .description('whether the service is installed, and what the service manager says about it')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) =>
      mapErrors(async () => {
        const cli = context();
        const machine = host();
        const status = await managerFor(currentPlatform(machine), machine, cli.config.dataDir).status();
        if (options.json) cli.out(JSON.stringify(status, null, 2));
        else printStatus(cli, status);
        if (status.unavailable !== undefined) {
          throw new ServiceError(ServiceErrorCode.ManagerUnavailable, `Could not ask the service manager: ${status.unavailable}.`);
        }
      }),
    );
}

async function mapErrors(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof ServiceError) throw new CliError(error.message, serviceExitCode(error.code));
    throw error;
  }
}

const isServicePlatform = (value: string): value is ServicePlatform => (SERVICE_PLATFORMS as readonly string[]).includes(value);

function currentPlatform(machine: ServiceHost): ServicePlatform {
  if (isServicePlatform(machine.platform)) return machine.platform;
  throw new ServiceError(
    ServiceErrorCode.WrongPlatform,
    `aico can be a service on ${SERVICE_PLATFORMS.join(', ')}, not on ${machine.platform}. "aico service install --print --platform linux" shows a systemd unit to adapt; "npm start" runs aico in the foreground.`,
  );
}

function targetPlatform(options: InstallCommandOptions, machine: ServiceHost): ServicePlatform {
  if (options.platform === undefined) return currentPlatform(machine);
  if (!isServicePlatform(options.platform)) {
    throw new ServiceError(ServiceErrorCode.WrongPlatform, `--platform takes ${SERVICE_PLATFORMS.join(', ')}, not "${options.platform}".`);
  }
  if (options.platform !== machine.platform && !options.print) {
    throw new ServiceError(
      ServiceErrorCode.WrongPlatform,
      `This machine is ${machine.platform}; files for ${options.platform} can only be printed: add --print.`,
    );
  }
  return options.platform;
}

async function assertRunnable(definition: ServiceDefinition): Promise<void> {
  const isFile = (path: string) =>
    stat(path).then(
      (info) => info.isFile(),
      () => false,
    );
  if (!(await isFile(definition.entryPoint))) {
    throw new ServiceError(
      ServiceErrorCode.SupervisorNotBuilt,
      `The supervisor is not built: ${definition.entryPoint} does not exist. Build it ("npx nx build supervisor", or "npm run build"), or name its main.js with --supervisor.`,
    );
  }
  if (!(await isFile(definition.nodePath)))
    throw new ServiceError(ServiceErrorCode.InvalidDefinition, `The node executable ${definition.nodePath} does not exist; name one with --node.`);
}

/**
 * The production profile takes the master key from the OS keychain (put there by `aico setup`) or from a key file.
 * With neither, the service would stop at once with a configuration error: say so now, not in a log.
 */
async function assertKeySource(cli: CliContext, definition: ServiceDefinition, start: boolean): Promise<void> {
  if (definition.environment.some(([name]) => name === 'AICO_MASTER_KEY_FILE')) return;
  if (await cli.keyManager.isSetUp()) return;
  const advice = 'Run "aico setup" first, or give the service a key file with --master-key-file.';
  if (start) throw new ServiceError(ServiceErrorCode.NotSetUp, `aico is not set up, so the service would find no master key and stop at once. ${advice}`);
  cli.progress(`Warning: aico is not set up; the service will not start until it is. ${advice}`);
}

function printStatus(cli: CliContext, status: ServiceStatus): void {
  const row = (label: string, value: string) => cli.out(`${label.padEnd(10)} ${value}`);
  row('manager', status.manager);
  row('installed', status.installed ? `yes (${status.files.join(', ')})` : `no (no ${status.files[0]})`);
  if (status.state === undefined) row('state', `unknown: ${status.unavailable ?? 'the service manager did not answer'}`);
  else if (Object.keys(status.state).length === 0) row('state', 'not registered');
  else
    row(
      'state',
      Object.entries(status.state)
        .map(([key, value]) => `${key}=${value}`)
        .join(' '),
    );
  row('running', status.running ? 'yes' : 'no');
  row('logs', status.logs);
}
