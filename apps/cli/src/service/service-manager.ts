// What `aico service` needs from the machine (platform, home, node, the supervisor's build, a command runner) and
// the one interface each OS's service manager is driven through.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { runCommand, type CommandRunner } from './command-runner';
import type { ServiceDefinition, ServicePlatform } from './service-definition';
import { ServiceError, ServiceErrorCode } from './service.error';
import { supervisorEntryPointBeside } from '../supervisor-process';

export interface ServiceHost {
  readonly platform: NodeJS.Platform;
  readonly homeDir: string;
  /** launchd's per-user domain is gui/<uid>. */
  readonly uid: number | undefined;
  readonly nodePath: string;
  /** Where the supervisor's build is, beside this CLI's. */
  readonly supervisorEntryPoint: string;
  readonly run: CommandRunner;
}

/** Apps build to dist/apps/<app>/apps/<app>/src/main.js, so the supervisor's is four levels above the CLI's src. */

export function systemServiceHost(): ServiceHost {
  return {
    platform: process.platform,
    homeDir: homedir(),
    uid: process.getuid?.(),
    nodePath: process.execPath,
    // This file is src/service/service-manager.js in the CLI's build.
    supervisorEntryPoint: supervisorEntryPointBeside(join(__dirname, '..')),
    run: runCommand,
  };
}

export interface ServiceFile {
  readonly path: string;
  readonly content: string;
}

export interface ServiceStatus {
  readonly platform: ServicePlatform;
  /** systemd, launchd, or the Windows Service Control Manager. */
  readonly manager: string;
  readonly installed: boolean;
  readonly files: readonly string[];
  /** What the service manager says, by its own field names; undefined when it could not be asked. */
  readonly state: Readonly<Record<string, string>> | undefined;
  readonly running: boolean;
  /** Why the manager could not be asked. */
  readonly unavailable?: string;
  readonly logs: string;
}

export interface InstallOptions {
  /** Start now (and restart a running service whose definition changed), not only at the next login or boot. */
  readonly start: boolean;
}

export interface ServiceManager {
  readonly platform: ServicePlatform;
  /** The files `install` writes, with their content: what `--print` shows. */
  files(definition: ServiceDefinition): readonly ServiceFile[];
  /** Writes the files and registers the service; returns what to tell the user. */
  install(definition: ServiceDefinition, options: InstallOptions): Promise<readonly string[]>;
  uninstall(): Promise<readonly string[]>;
  status(): Promise<ServiceStatus>;
}

export const fileExists = (path: string): Promise<boolean> =>
  stat(path).then(
    (info) => info.isFile(),
    () => false,
  );

/**
 * Writes a service file whole (a temporary file renamed into place, so a manager never reads half of one).
 * Returns whether the content differs from what was there, and whether anything was there.
 */
export async function writeServiceFile(file: ServiceFile): Promise<{ readonly existed: boolean; readonly changed: boolean }> {
  const previous = await readFile(file.path, 'utf8').catch(() => undefined);
  if (previous === file.content) return { existed: true, changed: false };
  const temporary = `${file.path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(file.path), { recursive: true });
    await writeFile(temporary, file.content, { mode: 0o644 });
    // writeFile's mode is filtered by the umask; service managers read these files, and they hold no secret.
    await chmod(temporary, 0o644);
    await rename(temporary, file.path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new ServiceError(ServiceErrorCode.FileFailed, `Cannot write ${file.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
  return { existed: previous !== undefined, changed: true };
}

export async function removeServiceFile(path: string): Promise<boolean> {
  const existed = await fileExists(path);
  try {
    await rm(path, { force: true });
  } catch (error) {
    throw new ServiceError(ServiceErrorCode.FileFailed, `Cannot remove ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
  return existed;
}

/** The last lines a failing command printed, for a message: enough to act on, never a wall of text. */
export const lastLines = (text: string, count = 3): string => text.trim().split('\n').slice(-count).join(' / ');

/** The program the service runs, as a POSIX shell command line: what to type where there is no service manager. */
export function foregroundCommand(target: Pick<ServiceDefinition, 'nodePath' | 'entryPoint' | 'environment'>): string {
  const word = (value: string) => (/^[\w./=-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`);
  const environment = target.environment.filter(([name]) => name !== 'AICO_SUPERVISOR__FORWARD_OUTPUT').map(([name, value]) => `${name}=${word(value)}`);
  return [...environment, word(target.nodePath), word(target.entryPoint)].join(' ');
}
