// The service definition for Windows. A Windows service must answer the Service Control Manager (start, stop,
// status), which node.exe does not: `sc.exe create aico binPath= node.exe ...` registers a service that Windows
// kills after 30 s with error 1053. So the service runs a wrapper, WinSW (github.com/winsw/winsw, v2.12+), saved as
// aico-service.exe beside aico-service.xml, which starts node with the supervisor and restarts it after a crash.
// Stopping: WinSW sends the supervisor Ctrl+C (SIGINT in Node; Windows has no SIGTERM) and kills what is left after
// the stop timeout. Nothing here is run on Windows by `aico service install`: registering needs an Administrator.
import { win32 } from 'node:path';
import { escapeXml } from './launchd-plist';
import type { ServiceDefinition } from './service-definition';

export const WINSW_EXECUTABLE = 'aico-service.exe';
export const WINSW_CONFIG_FILE = 'aico-service.xml';
export const WINDOWS_INSTALL_SCRIPT = 'install-aico-service.cmd';
export const WINDOWS_UNINSTALL_SCRIPT = 'uninstall-aico-service.cmd';

/** Where the WinSW files go: a folder of the data directory the user owns (no Administrator needed to write it). */
export const windowsServiceDirectory = (definition: Pick<ServiceDefinition, 'workingDirectory'>): string => win32.join(definition.workingDirectory, 'service');

/** One argument as CommandLineToArgvW (and so node.exe) reads it back: quoted, backslashes before a quote doubled. */
export function windowsArgument(value: string): string {
  let quoted = '"';
  let backslashes = 0;
  for (const character of value) {
    if (character === '\\') {
      backslashes++;
      continue;
    }
    quoted += character === '"' ? `${'\\'.repeat(backslashes * 2 + 1)}"` : `${'\\'.repeat(backslashes)}${character}`;
    backslashes = 0;
  }
  return `${quoted}${'\\'.repeat(backslashes * 2)}"`;
}

export function renderWinswXml(definition: ServiceDefinition): string {
  const element = (name: string, value: string | number) => `  <${name}>${escapeXml(String(value))}</${name}>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!-- aico as a Windows service through WinSW, written by "aico service install". Register it with',
    `     ${WINDOWS_INSTALL_SCRIPT} in an Administrator prompt; "aico service uninstall" says how to remove it. -->`,
    '<service>',
    element('id', definition.name),
    element('name', definition.name),
    element('description', definition.description),
    element('executable', definition.nodePath),
    element('arguments', windowsArgument(definition.entryPoint)),
    element('workingdirectory', definition.workingDirectory),
    ...definition.environment.map(([name, value]) => `  <env name="${escapeXml(name)}" value="${escapeXml(value)}"/>`),
    element('startmode', 'Automatic'),
    '  <delayedAutoStart>true</delayedAutoStart>',
    `  <onfailure action="restart" delay="${definition.restartDelaySeconds} sec"/>`,
    // A supervisor that stayed up this long starts its failure count over (as systemd's start-limit interval does).
    element('resetfailure', `${definition.startLimit.intervalSeconds} sec`),
    element('stoptimeout', `${definition.stopTimeoutSeconds} sec`),
    // The supervisor stops its apps itself, in reverse start order; WinSW must not kill them first.
    element('stopparentprocessfirst', 'true'),
    element('logpath', definition.logDirectory),
    '  <log mode="roll-by-size">',
    '    <sizeThreshold>10240</sizeThreshold>',
    '    <keepFiles>8</keepFiles>',
    '  </log>',
    '</service>',
    '',
  ].join('\r\n');
}

/**
 * Registers and starts the WinSW wrapper. It names no path of its own: it runs from its folder (`%~dp0`), so a user
 * name with `&`, `^` or `%` in the data directory's path cannot break cmd.exe's parsing.
 */
export function renderWindowsInstallScript(definition: ServiceDefinition): string {
  return [
    '@echo off',
    'rem aico as a Windows service, written by "aico service install". Run it in an Administrator prompt.',
    `rem It needs WinSW (https://github.com/winsw/winsw/releases, WinSW-x64.exe 2.12 or later) saved in this folder as ${WINSW_EXECUTABLE}.`,
    'rem The service runs as LocalSystem: it cannot read your Credential Manager, so it needs AICO_MASTER_KEY_FILE',
    `rem ("aico service install --master-key-file <file>"), or log it on as you: sc.exe config ${definition.name} obj= .\\<you> password= <password>`,
    'setlocal',
    'cd /d "%~dp0"',
    `if not exist "${WINSW_EXECUTABLE}" (`,
    `  echo Save WinSW-x64.exe as %~dp0${WINSW_EXECUTABLE} first: https://github.com/winsw/winsw/releases`,
    '  exit /b 66',
    ')',
    `"${WINSW_EXECUTABLE}" install || exit /b 1`,
    `"${WINSW_EXECUTABLE}" start || exit /b 1`,
    `sc.exe query ${definition.name}`,
    '',
  ].join('\r\n');
}

export function renderWindowsUninstallScript(definition: ServiceDefinition): string {
  return [
    '@echo off',
    `rem Stops and removes the ${definition.name} service (written by "aico service install"). Run it in an Administrator prompt.`,
    'setlocal',
    'cd /d "%~dp0"',
    `"${WINSW_EXECUTABLE}" stop`,
    `"${WINSW_EXECUTABLE}" uninstall || exit /b 1`,
    '',
  ].join('\r\n');
}
