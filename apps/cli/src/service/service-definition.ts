// The one description of aico as an OS service: what runs (node and the supervisor's main.js), where, with which
// environment, how it restarts and stops, and where its console output goes. The systemd, launchd and Windows
// renderers only translate it; every value is checked here once, so no renderer meets a path it cannot express.
import { posix, win32 } from 'node:path';
import { ServiceError, ServiceErrorCode } from './service.error';

export type ServicePlatform = 'linux' | 'darwin' | 'win32';
export const SERVICE_PLATFORMS: readonly ServicePlatform[] = ['linux', 'darwin', 'win32'];

export const SERVICE_NAME = 'aico';
/** launchd labels are reverse-DNS by convention; the name of the plist follows it. */
export const LAUNCHD_LABEL = 'dev.aico.supervisor';

/**
 * The supervisor stops its apps one after another in reverse start order, each with up to 10 s after SIGTERM
 * (`supervisor.stopTimeoutMs`) and up to 10 s of its own shutdown budget on top: 6 apps need at most about 60 s.
 * The service manager waits longer than that before it kills what is left.
 */
export const STOP_TIMEOUT_SECONDS = 90;
/** A crash of the supervisor itself (not of an app, which it restarts on its own) is retried after this. */
export const RESTART_DELAY_SECONDS = 5;
/** More starts than this within the interval and the service manager gives up (systemd only; launchd cannot). */
export const START_LIMIT = { burst: 5, intervalSeconds: 300 } as const;
/** EX_CONFIG: invalid configuration or no master key source. Restarting cannot fix it, so it is not retried. */
export const CONFIG_ERROR_EXIT_CODE = 78;

export interface ServiceDefinition {
  readonly platform: ServicePlatform;
  readonly name: string;
  readonly label: string;
  readonly description: string;
  readonly nodePath: string;
  /** The supervisor's built main.js. */
  readonly entryPoint: string;
  readonly workingDirectory: string;
  /** In the order they are written. */
  readonly environment: readonly (readonly [name: string, value: string])[];
  readonly restartDelaySeconds: number;
  readonly startLimit: { readonly burst: number; readonly intervalSeconds: number };
  readonly noRestartExitCodes: readonly number[];
  readonly stopTimeoutSeconds: number;
  /** Where launchd and WinSW write the supervisor's console output; systemd sends it to the journal instead. */
  readonly logDirectory: string;
}

export interface ServiceDefinitionInput {
  readonly platform: ServicePlatform;
  readonly nodePath: string;
  readonly entryPoint: string;
  readonly dataDir: string;
  readonly masterKeyFile?: string | undefined;
  readonly homeDir: string;
}

export function describeService(input: ServiceDefinitionInput): ServiceDefinition {
  const path = input.platform === 'win32' ? win32 : posix;
  const absolute = (what: string, value: string): string => {
    assertPrintable(what, value);
    if (!path.isAbsolute(value)) throw invalid(`${what} must be an absolute path, not "${value}".`);
    // A Windows file name cannot hold a double quote; one here means a mistake, and it would break the quoting.
    if (input.platform === 'win32' && value.includes('"')) throw invalid(`${what} "${value}" holds a double quote, which no Windows path can.`);
    // WinSW replaces %NAME% in its configuration with the variable's value and has no escape for a literal one.
    if (input.platform === 'win32' && value.includes('%')) throw invalid(`${what} "${value}" holds a percent sign, which WinSW would read as a variable.`);
    if (value !== value.trim()) throw invalid(`${what} "${value}" starts or ends with white space, which service files cannot keep.`);
    return path.normalize(value);
  };
  const nodePath = absolute('The node executable', input.nodePath);
  if (input.platform === 'linux' && /["'\\]/.test(nodePath)) {
    throw invalid(
      `systemd refuses to start an executable whose path holds a quote or a backslash ("${nodePath}"); name node through a path without them (a symlink will do) with --node.`,
    );
  }
  const dataDir = absolute('The data directory', input.dataDir);
  const environment: [string, string][] = [
    ['AICO_PROFILE', 'production'],
    ['AICO_DATA_DIR', dataDir],
  ];
  if (input.masterKeyFile !== undefined) environment.push(['AICO_MASTER_KEY_FILE', absolute('The master key file', input.masterKeyFile)]);
  // The apps' console output already goes to a file per app (<dataDir>/logs/<app>.console.log); copying it to the
  // supervisor's own output too would put every line twice into the journal or the service log.
  environment.push(['AICO_SUPERVISOR__FORWARD_OUTPUT', 'false']);
  return {
    platform: input.platform,
    name: SERVICE_NAME,
    label: LAUNCHD_LABEL,
    description: 'aico, the local-first AI companion: the supervisor that starts and stops its processes',
    nodePath,
    entryPoint: absolute("The supervisor's main.js", input.entryPoint),
    workingDirectory: dataDir,
    environment,
    restartDelaySeconds: RESTART_DELAY_SECONDS,
    startLimit: START_LIMIT,
    noRestartExitCodes: [CONFIG_ERROR_EXIT_CODE],
    stopTimeoutSeconds: STOP_TIMEOUT_SECONDS,
    logDirectory: logDirectory(input.platform, input.homeDir, dataDir),
  };
}

function logDirectory(platform: ServicePlatform, homeDir: string, dataDir: string): string {
  switch (platform) {
    case 'darwin':
      // Where Console.app looks for an app's logs.
      return posix.join(homeDir, 'Library', 'Logs', 'aico');
    case 'win32':
      return win32.join(dataDir, 'logs', 'service');
    case 'linux':
      return posix.join(dataDir, 'logs');
  }
}

/** Control characters (a newline above all) cannot be written into a unit, a plist or a WinSW file faithfully. */
function assertPrintable(what: string, value: string): void {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalid(`${what} ${JSON.stringify(value)} holds a control character, which service files cannot hold.`);
  if (value.length === 0) throw invalid(`${what} is empty.`);
}

const invalid = (message: string) => new ServiceError(ServiceErrorCode.InvalidDefinition, message);
