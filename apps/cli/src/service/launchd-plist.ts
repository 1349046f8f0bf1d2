// The service definition as a launchd LaunchAgent (~/Library/LaunchAgents/dev.aico.supervisor.plist): runs at
// login, restarted after a crash (not after a clean stop), console output into ~/Library/Logs/aico.
import { posix } from 'node:path';
import type { ServiceDefinition } from './service-definition';

export const launchdPlistFile = (definition: Pick<ServiceDefinition, 'label'>): string => `${definition.label}.plist`;

export const launchdLogFiles = (definition: Pick<ServiceDefinition, 'logDirectory'>) => ({
  stdout: posix.join(definition.logDirectory, 'supervisor.log'),
  stderr: posix.join(definition.logDirectory, 'supervisor.err.log'),
});

/** XML character data and attribute values: the five predefined entities. */
export const escapeXml = (value: string): string =>
  value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&apos;');

const string = (value: string) => `<string>${escapeXml(value)}</string>`;
const key = (name: string) => `<key>${escapeXml(name)}</key>`;

export function renderLaunchdPlist(definition: ServiceDefinition): string {
  const logs = launchdLogFiles(definition);
  const body = [
    [key('Label'), string(definition.label)],
    [key('ProgramArguments'), '<array>', `  ${string(definition.nodePath)}`, `  ${string(definition.entryPoint)}`, '</array>'],
    [key('WorkingDirectory'), string(definition.workingDirectory)],
    [key('EnvironmentVariables'), '<dict>', ...definition.environment.map(([name, value]) => `  ${key(name)}${string(value)}`), '</dict>'],
    [key('RunAtLoad'), '<true/>'],
    // Restarted when it exits non-zero or dies of a signal; a clean stop (exit 0) stays stopped.
    [key('KeepAlive'), '<dict>', `  ${key('SuccessfulExit')}<false/>`, '</dict>'],
    // launchd waits at least this long between starts of a job that keeps exiting.
    [key('ThrottleInterval'), `<integer>${definition.restartDelaySeconds}</integer>`],
    // Seconds between SIGTERM and SIGKILL when the job is stopped.
    [key('ExitTimeOut'), `<integer>${definition.stopTimeoutSeconds}</integer>`],
    // 0077: the data and logs it creates are the user's alone (launchd takes the mask as a decimal integer).
    [key('Umask'), `<integer>${0o077}</integer>`],
    [key('ProcessType'), string('Standard')],
    [key('StandardOutPath'), string(logs.stdout)],
    [key('StandardErrorPath'), string(logs.stderr)],
  ];
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<!-- aico as a launchd agent, written by "aico service install"; "aico service uninstall" removes it. -->',
    '<plist version="1.0">',
    '<dict>',
    ...body.flat().map((line) => `  ${line}`),
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}
