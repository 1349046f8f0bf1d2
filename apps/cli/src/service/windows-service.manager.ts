// Windows: `aico service install` writes the WinSW configuration and the scripts that register and remove the
// service into <dataDir>\service, and says what is left to do. It registers nothing itself: that needs an
// Administrator prompt and the WinSW executable, which aico does not ship. `sc.exe query` (no elevation needed)
// answers whether the service is registered and running.
import { win32 } from 'node:path';
import type { ServiceDefinition } from './service-definition';
import {
  fileExists,
  lastLines,
  removeServiceFile,
  writeServiceFile,
  type ServiceFile,
  type ServiceHost,
  type ServiceManager,
  type ServiceStatus,
} from './service-manager';
import { ServiceError, ServiceErrorCode } from './service.error';
import {
  renderWindowsInstallScript,
  renderWindowsUninstallScript,
  renderWinswXml,
  WINDOWS_INSTALL_SCRIPT,
  WINDOWS_UNINSTALL_SCRIPT,
  WINSW_CONFIG_FILE,
  WINSW_EXECUTABLE,
} from './windows-service';

/** sc.exe's exit code (ERROR_SERVICE_DOES_NOT_EXIST) for a service that is not registered. */
const NOT_REGISTERED = 1060;

export class WindowsServiceManager implements ServiceManager {
  readonly platform = 'win32' as const;
  private readonly directory: string;

  constructor(
    private readonly host: ServiceHost,
    dataDir: string,
  ) {
    this.directory = win32.join(dataDir, 'service');
  }

  private path(name: string): string {
    return win32.join(this.directory, name);
  }

  files(definition: ServiceDefinition): readonly ServiceFile[] {
    return [
      { path: this.path(WINSW_CONFIG_FILE), content: renderWinswXml(definition) },
      { path: this.path(WINDOWS_INSTALL_SCRIPT), content: renderWindowsInstallScript(definition) },
      { path: this.path(WINDOWS_UNINSTALL_SCRIPT), content: renderWindowsUninstallScript(definition) },
    ];
  }

  async install(definition: ServiceDefinition): Promise<readonly string[]> {
    for (const file of this.files(definition)) await writeServiceFile(file);
    const lines = [
      `Wrote ${this.path(WINSW_CONFIG_FILE)} and the scripts beside it. The service is not registered yet:`,
      `  1. Download WinSW-x64.exe (https://github.com/winsw/winsw/releases) and save it as ${this.path(WINSW_EXECUTABLE)}.`,
      `  2. In an Administrator prompt run ${this.path(WINDOWS_INSTALL_SCRIPT)}.`,
    ];
    if (!definition.environment.some(([name]) => name === 'AICO_MASTER_KEY_FILE')) {
      lines.push(
        'The service runs as LocalSystem, which cannot read your Credential Manager: give it a key file (--master-key-file) or change its log-on account to yours (services.msc, aico, Log On).',
      );
    }
    lines.push('Status: aico service status (or sc.exe query aico).');
    return lines;
  }

  async uninstall(): Promise<readonly string[]> {
    const registered = await this.query();
    if (registered.state !== undefined && registered.state['SERVICE_NAME'] !== undefined) {
      throw new ServiceError(
        ServiceErrorCode.ManagerFailed,
        `The aico service is still registered. Run ${this.path(WINDOWS_UNINSTALL_SCRIPT)} in an Administrator prompt, then "aico service uninstall" again to remove its files.`,
      );
    }
    const removed = [];
    for (const name of [WINSW_CONFIG_FILE, WINDOWS_INSTALL_SCRIPT, WINDOWS_UNINSTALL_SCRIPT]) if (await removeServiceFile(this.path(name))) removed.push(name);
    return [
      removed.length > 0
        ? `Removed ${removed.join(', ')} from ${this.directory} (${WINSW_EXECUTABLE}, if you saved it there, is yours to delete).`
        : 'aico is not installed as a service.',
    ];
  }

  async status(): Promise<ServiceStatus> {
    const installed = await fileExists(this.path(WINSW_CONFIG_FILE));
    const { state, unavailable } = await this.query();
    return {
      platform: this.platform,
      manager: 'Windows Service Control Manager (WinSW)',
      installed,
      files: [this.path(WINSW_CONFIG_FILE)],
      state,
      running: state?.['STATE']?.includes('RUNNING') === true,
      ...(unavailable ? { unavailable } : {}),
      logs: win32.join(this.directory, '..', 'logs', 'service'),
    };
  }

  /** `sc.exe query aico`: its "KEY : value" lines, `{}` when not registered, undefined when sc.exe cannot be run. */
  private async query(): Promise<{ state: Record<string, string> | undefined; unavailable?: string }> {
    const result = await this.host.run('sc.exe', ['query', 'aico']);
    if (!result.found) return { state: undefined, unavailable: 'sc.exe is not available (this is not Windows)' };
    if (result.exitCode === NOT_REGISTERED) return { state: {} };
    if (result.exitCode !== 0) return { state: undefined, unavailable: `sc.exe query failed: ${lastLines(result.stdout || result.stderr)}` };
    const state: Record<string, string> = {};
    for (const match of result.stdout.matchAll(/^\s*([A-Z_]+)\s*:\s*(.+?)\s*$/gm)) state[match[1]!] = match[2]!;
    return { state };
  }
}
