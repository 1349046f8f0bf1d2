// The service definition as a systemd user unit (~/.config/systemd/user/aico.service).
import type { ServiceDefinition } from './service-definition';

export const SYSTEMD_UNIT_FILE = 'aico.service';

/** systemd expands `%` specifiers in nearly every setting; a literal percent sign is written `%%`. */
const escapeSpecifiers = (value: string): string => value.replaceAll('%', '%%');

/** Inside double quotes systemd reads C-style escapes: a backslash or a quote is written escaped. */
const cEscape = (value: string): string => value.replaceAll('\\', '\\\\').replaceAll('"', '\\"');

/**
 * ExecStart='s executable: systemd applies neither escapes nor `$VAR` expansion to it, and refuses one holding a
 * quote or a backslash (describeService turns those away), so only specifiers need escaping.
 */
const executable = (path: string): string => `"${escapeSpecifiers(path)}"`;

/** Any later ExecStart= argument: escapes, specifiers, and `$` as `$$` (systemd expands `$VAR` there). */
const argument = (value: string): string => `"${escapeSpecifiers(cEscape(value)).replaceAll('$', '$$$$')}"`;

/** Environment= takes quoted assignments with escapes and specifiers, but expands no variables. */
const assignment = (name: string, value: string): string => `"${escapeSpecifiers(cEscape(`${name}=${value}`))}"`;

export function renderSystemdUnit(definition: ServiceDefinition): string {
  const lines = [
    '# aico as a systemd user service, written by "aico service install"; "aico service uninstall" removes it.',
    `# Logs: journalctl --user -u ${definition.name} (the apps' own files are in ${definition.logDirectory}).`,
    '[Unit]',
    `Description=${escapeSpecifiers(definition.description)}`,
    `StartLimitIntervalSec=${definition.startLimit.intervalSeconds}`,
    `StartLimitBurst=${definition.startLimit.burst}`,
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${executable(definition.nodePath)} ${argument(definition.entryPoint)}`,
    `WorkingDirectory=${escapeSpecifiers(definition.workingDirectory)}`,
    ...definition.environment.map(([name, value]) => `Environment=${assignment(name, value)}`),
    'Restart=on-failure',
    `RestartSec=${definition.restartDelaySeconds}`,
    `RestartPreventExitStatus=${definition.noRestartExitCodes.join(' ')}`,
    'KillSignal=SIGTERM',
    // SIGTERM to the supervisor alone: it stops the apps itself, in reverse start order. The default
    // (control-group) would signal every app at the same moment. What is still alive at the timeout gets SIGKILL.
    'KillMode=mixed',
    `TimeoutStopSec=${definition.stopTimeoutSeconds}`,
    'StandardOutput=journal',
    'StandardError=journal',
    `SyslogIdentifier=${definition.name}`,
    // Hardening that a user manager can apply without user namespaces. ProtectSystem=, ProtectHome= and
    // PrivateTmp= need them in a user unit and fail the start where they are off, so they are left out;
    // MemoryDenyWriteExecute= would stop V8's JIT.
    'UMask=0077',
    'NoNewPrivileges=yes',
    'LockPersonality=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'SystemCallArchitectures=native',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ];
  return lines.join('\n');
}
