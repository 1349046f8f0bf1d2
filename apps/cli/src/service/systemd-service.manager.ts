// Linux: the unit in ~/.config/systemd/user, driven with `systemctl --user` (no root needed). A user unit runs
// while the user is logged in; `loginctl enable-linger` keeps the user's manager (and aico) running from boot.
import { join } from 'node:path';
import { commandLine, type CommandResult } from './command-runner';
import type { ServiceDefinition } from './service-definition';
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
import { renderSystemdUnit, SYSTEMD_UNIT_FILE } from './systemd-unit';

/** What `systemctl --user is-system-running` prints when there is a user manager; "offline" means there is none. */
const MANAGER_STATES = ['initializing', 'starting', 'running', 'degraded', 'maintenance', 'stopping'];
const STATUS_PROPERTIES = ['LoadState', 'ActiveState', 'SubState', 'UnitFileState', 'MainPID', 'NRestarts', 'ExecMainStatus'];

type Found = Extract<CommandResult, { found: true }>;

export class SystemdServiceManager implements ServiceManager {
  readonly platform = 'linux' as const;
  readonly unitPath: string;

  constructor(private readonly host: ServiceHost) {
    this.unitPath = join(host.homeDir, '.config', 'systemd', 'user', SYSTEMD_UNIT_FILE);
  }

  files(definition: ServiceDefinition): readonly ServiceFile[] {
    return [{ path: this.unitPath, content: renderSystemdUnit(definition) }];
  }

  async install(definition: ServiceDefinition, options: InstallOptions): Promise<readonly string[]> {
    await this.assertUserManager(foregroundCommand(definition));
    const written = await writeServiceFile(this.files(definition)[0]!);
    await this.systemctl(['daemon-reload']);
    const unit = SYSTEMD_UNIT_FILE;
    const lines = [`${written.changed ? 'Wrote' : 'Kept (unchanged)'} ${this.unitPath}.`];
    if (!options.start) {
      await this.systemctl(['enable', unit]);
      lines.push(
        written.existed && written.changed
          ? `Enabled ${unit}; if it is running, it keeps its previous definition until "systemctl --user restart ${definition.name}".`
          : `Enabled ${unit}: it starts at your next login, or now with "systemctl --user start ${definition.name}".`,
      );
    } else if (written.existed && written.changed) {
      // enable --now leaves a running service as it is; a changed definition takes effect only on a restart.
      await this.systemctl(['enable', unit]);
      await this.systemctl(['restart', unit]);
      lines.push(`Enabled ${unit} and restarted it with the new definition.`);
    } else {
      await this.systemctl(['enable', '--now', unit]);
      lines.push(`Enabled and started ${unit}.`);
    }
    lines.push(
      `Status: aico service status (or systemctl --user status ${definition.name}); logs: journalctl --user -u ${definition.name}.`,
      'To keep aico running while you are logged out, and to start it at boot: loginctl enable-linger $USER',
    );
    return lines;
  }

  async uninstall(): Promise<readonly string[]> {
    const installed = await fileExists(this.unitPath);
    const probe = await this.host.run('systemctl', ['--user', 'is-system-running']);
    if (!probe.found) {
      // Without systemctl nothing can have started the unit; the file is all there is to remove.
      await removeServiceFile(this.unitPath);
      return [installed ? `Removed ${this.unitPath} (systemctl is not installed, so nothing was running it).` : 'aico is not installed as a service.'];
    }
    if (!installed) return [`aico is not installed as a service (no ${this.unitPath}).`];
    await this.assertUserManager(
      foregroundCommand({ nodePath: this.host.nodePath, entryPoint: this.host.supervisorEntryPoint, environment: [['AICO_PROFILE', 'production']] }),
      probe,
    );
    await this.systemctl(['disable', '--now', SYSTEMD_UNIT_FILE]);
    await removeServiceFile(this.unitPath);
    await this.systemctl(['daemon-reload']);
    // Forgets a failed state of the removed unit; there is none to forget after a clean stop, which is fine.
    await this.systemctl(['reset-failed', SYSTEMD_UNIT_FILE], { allowFailure: true });
    return [`Stopped and disabled ${SYSTEMD_UNIT_FILE}, removed ${this.unitPath}.`];
  }

  async status(): Promise<ServiceStatus> {
    const installed = await fileExists(this.unitPath);
    const base = { platform: this.platform, manager: 'systemd (user)', installed, files: [this.unitPath], logs: `journalctl --user -u ${SYSTEMD_UNIT_FILE}` };
    const result = await this.host.run('systemctl', ['--user', 'show', SYSTEMD_UNIT_FILE, `--property=${STATUS_PROPERTIES.join(',')}`]);
    if (!result.found) return { ...base, state: undefined, running: false, unavailable: 'systemctl is not installed' };
    if (result.exitCode !== 0)
      return { ...base, state: undefined, running: false, unavailable: `systemctl --user show failed: ${lastLines(result.stderr || result.stdout)}` };
    const state = Object.fromEntries(
      result.stdout
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.includes('='))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    return { ...base, state, running: state['ActiveState'] === 'active' };
  }

  /** systemctl exists and there is a user manager to talk to (there is none under `su`, or in most containers). */
  private async assertUserManager(foreground: string, probe?: CommandResult): Promise<void> {
    const result = probe ?? (await this.host.run('systemctl', ['--user', 'is-system-running']));
    if (!result.found) {
      throw new ServiceError(
        ServiceErrorCode.ManagerUnavailable,
        `systemctl is not installed, so aico cannot be a systemd service here. Run it in the foreground instead: ${foreground}`,
      );
    }
    if (!MANAGER_STATES.includes(result.stdout.trim())) {
      const said = lastLines(result.stderr) || result.stdout.trim() || `exit code ${result.exitCode}`;
      throw new ServiceError(
        ServiceErrorCode.ManagerUnavailable,
        `There is no systemd user manager for this session (systemctl --user: ${said}). Log in as this user directly (not through su or sudo), or run aico in the foreground: ${foreground}`,
      );
    }
  }

  private async systemctl(args: readonly string[], { allowFailure = false } = {}): Promise<Found> {
    const full = ['--user', ...args];
    const result = await this.host.run('systemctl', full);
    if (!result.found) throw new ServiceError(ServiceErrorCode.ManagerUnavailable, 'systemctl disappeared while aico was being installed.');
    if (result.exitCode !== 0 && !allowFailure) {
      throw new ServiceError(
        ServiceErrorCode.ManagerFailed,
        `"${commandLine('systemctl', full)}" failed (exit code ${result.exitCode}): ${lastLines(result.stderr || result.stdout) || 'no message'}`,
      );
    }
    return result;
  }
}
