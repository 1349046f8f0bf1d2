// macOS: a LaunchAgent in ~/Library/LaunchAgents, loaded into the user's GUI domain (gui/<uid>) with launchctl
// bootstrap/bootout. launchd loads every agent there at login by itself, so an installed agent survives reboots.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { commandLine, type CommandResult } from './command-runner';
import { launchdPlistFile, renderLaunchdPlist } from './launchd-plist';
import { LAUNCHD_LABEL, type ServiceDefinition } from './service-definition';
import {
  fileExists,
  foregroundCommand,
  lastLines,
  removeServiceFile,
  writeServiceFile,
  type InstallOptions,
  type ServiceFile,
  type ServiceHost,
  type ServiceManager,
  type ServiceStatus,
} from './service-manager';
import { ServiceError, ServiceErrorCode } from './service.error';

/** launchctl's exit code for "Could not find service ... in domain": the agent is not loaded. */
const NOT_LOADED = 113;

type Found = Extract<CommandResult, { found: true }>;

export class LaunchdServiceManager implements ServiceManager {
  readonly platform = 'darwin' as const;
  readonly plistPath: string;

  constructor(private readonly host: ServiceHost) {
    this.plistPath = join(host.homeDir, 'Library', 'LaunchAgents', launchdPlistFile({ label: LAUNCHD_LABEL }));
  }

  private get domain(): string {
    return `gui/${this.host.uid ?? 0}`;
  }

  private get target(): string {
    return `${this.domain}/${LAUNCHD_LABEL}`;
  }

  files(definition: ServiceDefinition): readonly ServiceFile[] {
    return [{ path: this.plistPath, content: renderLaunchdPlist(definition) }];
  }

  async install(definition: ServiceDefinition, options: InstallOptions): Promise<readonly string[]> {
    const loaded = await this.isLoaded(foregroundCommand(definition));
    // launchd does not create the directories of StandardOutPath/StandardErrorPath; without them the job cannot start.
    await mkdir(definition.logDirectory, { recursive: true, mode: 0o700 });
    const written = await writeServiceFile(this.files(definition)[0]!);
    const lines = [`${written.changed ? 'Wrote' : 'Kept (unchanged)'} ${this.plistPath}.`];
    if (loaded && !written.changed) {
      lines.push(`${LAUNCHD_LABEL} is already loaded with this definition.`);
    } else if (!options.start) {
      lines.push(
        loaded
          ? `${LAUNCHD_LABEL} keeps running with its previous definition until your next login (run "aico service install" without --no-start to reload it now).`
          : `Not started now; launchd loads it at your next login, or now with "launchctl bootstrap ${this.domain} ${this.plistPath}".`,
      );
    } else {
      // A loaded agent keeps its old definition until it is unloaded and loaded again.
      if (loaded) await this.launchctl(['bootout', this.target]);
      // Clears a `launchctl disable` left from before, which would make bootstrap refuse the agent.
      await this.launchctl(['enable', this.target]);
      await this.launchctl(['bootstrap', this.domain, this.plistPath]);
      lines.push(`Loaded ${LAUNCHD_LABEL} into ${this.domain}; it started and starts again at every login.`);
    }
    lines.push(`Status: aico service status; logs: ${definition.logDirectory}.`);
    return lines;
  }

  async uninstall(): Promise<readonly string[]> {
    const installed = await fileExists(this.plistPath);
    const loaded = await this.isLoaded(
      foregroundCommand({ nodePath: this.host.nodePath, entryPoint: this.host.supervisorEntryPoint, environment: [['AICO_PROFILE', 'production']] }),
    );
    if (!installed && !loaded) return [`aico is not installed as a service (no ${this.plistPath}).`];
    // bootout sends SIGTERM and waits up to the plist's ExitTimeOut before SIGKILL.
    if (loaded) await this.launchctl(['bootout', this.target]);
    await removeServiceFile(this.plistPath);
    return [`${loaded ? `Stopped and unloaded ${LAUNCHD_LABEL}, removed` : 'Removed'} ${this.plistPath}.`];
  }

  async status(): Promise<ServiceStatus> {
    const installed = await fileExists(this.plistPath);
    const base = {
      platform: this.platform,
      manager: 'launchd (user agent)',
      installed,
      files: [this.plistPath],
      logs: join(this.host.homeDir, 'Library', 'Logs', 'aico'),
    };
    const result = await this.host.run('launchctl', ['print', this.target]);
    if (!result.found) return { ...base, state: undefined, running: false, unavailable: 'launchctl is not installed (this is not macOS)' };
    if (result.exitCode === NOT_LOADED) return { ...base, state: { state: 'not loaded' }, running: false };
    if (result.exitCode !== 0)
      return { ...base, state: undefined, running: false, unavailable: `launchctl print failed: ${lastLines(result.stderr || result.stdout)}` };
    // `launchctl print` is meant for people; these few top-level "key = value" lines are stable across releases.
    const state: Record<string, string> = {};
    for (const match of result.stdout.matchAll(/^\t(state|pid|runs|last exit code) = (.+)$/gm)) state[match[1]!] = match[2]!.trim();
    return { ...base, state, running: state['state'] === 'running' };
  }

  private async isLoaded(foreground: string): Promise<boolean> {
    const result = await this.host.run('launchctl', ['print', this.target]);
    if (!result.found) {
      throw new ServiceError(
        ServiceErrorCode.ManagerUnavailable,
        `launchctl is not installed, so aico cannot be a launchd agent here. Run it in the foreground instead: ${foreground}`,
      );
    }
    if (result.exitCode === 0) return true;
    if (result.exitCode === NOT_LOADED) return false;
    throw new ServiceError(
      ServiceErrorCode.ManagerUnavailable,
      `launchctl cannot reach your login session's domain ${this.domain} (${lastLines(result.stderr || result.stdout) || `exit code ${result.exitCode}`}). Run this from a terminal of your desktop login (not over SSH), or run aico in the foreground: ${foreground}`,
    );
  }

  private async launchctl(args: readonly string[]): Promise<Found> {
    const result = await this.host.run('launchctl', args);
    if (!result.found) throw new ServiceError(ServiceErrorCode.ManagerUnavailable, 'launchctl disappeared while aico was being installed.');
    if (result.exitCode !== 0) {
      throw new ServiceError(
        ServiceErrorCode.ManagerFailed,
        `"${commandLine('launchctl', args)}" failed (exit code ${result.exitCode}): ${lastLines(result.stderr || result.stdout) || 'no message'}`,
      );
    }
    return result;
  }
}
