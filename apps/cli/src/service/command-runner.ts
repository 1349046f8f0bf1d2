// How `aico service` runs systemctl, launchctl and sc.exe: behind one function, so tests hand in a scripted fake
// and never touch the machine's service manager.
import { execFile } from 'node:child_process';

export type CommandResult =
  /** The program does not exist (ENOENT): no systemd, not macOS. */
  { readonly found: false } | { readonly found: true; readonly exitCode: number; readonly stdout: string; readonly stderr: string };

export type CommandRunner = (command: string, args: readonly string[]) => Promise<CommandResult>;

/** systemctl and launchctl answer in well under a second; one that hangs (a stuck D-Bus) fails after this. */
const COMMAND_TIMEOUT_MS = 30_000;

export const runCommand: CommandRunner = (command, args) =>
  new Promise((resolve, reject) => {
    execFile(command, [...args], { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS, windowsHide: true }, (error, stdout, stderr) => {
      if (!error) return resolve({ found: true, exitCode: 0, stdout, stderr });
      const failure = error as NodeJS.ErrnoException & { code?: string | number; killed?: boolean };
      if (failure.code === 'ENOENT') return resolve({ found: false });
      if (typeof failure.code === 'number') return resolve({ found: true, exitCode: failure.code, stdout, stderr });
      if (failure.killed)
        return resolve({ found: true, exitCode: 124, stdout, stderr: `${stderr}${command} did not answer within ${COMMAND_TIMEOUT_MS / 1_000} s` });
      reject(error);
    });
  });

/** `systemctl --user enable --now aico.service`, for messages. */
export const commandLine = (command: string, args: readonly string[]): string => [command, ...args].join(' ');
