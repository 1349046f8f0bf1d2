// A scripted stand-in for the CommandRunner behind `aico service` (systemctl, launchctl, sc.exe), and the answers a
// script is written with, so the command's specs check which commands run in which order without a service manager.
import type { CommandResult } from './command-runner';

export const ok = (stdout = ''): CommandResult => ({ found: true, exitCode: 0, stdout, stderr: '' });
export const failed = (exitCode: number, stderr: string, stdout = ''): CommandResult => ({ found: true, exitCode, stdout, stderr });
/** The program is not installed (ENOENT). */
export const missing: CommandResult = { found: false };

/** Answers each command line from a script (a list is used up in order), records every call, refuses the unscripted. */
export class FakeRunner {
  readonly calls: string[] = [];
  constructor(private readonly script: Record<string, CommandResult | CommandResult[]>) {}

  readonly run = (command: string, args: readonly string[]): Promise<CommandResult> => {
    const line = [command, ...args].join(' ');
    this.calls.push(line);
    const answer = this.script[line];
    const result = Array.isArray(answer) ? answer.shift() : answer;
    if (!result) return Promise.reject(new Error(`unscripted command: ${line}`));
    return Promise.resolve(result);
  };
}

/** `launchctl print gui/501/dev.aico.supervisor` of a loaded agent that runs (macOS's own layout, tabs and all). */
export const LAUNCHCTL_PRINT = `gui/501/dev.aico.supervisor = {
\tactive count = 1
\tpath = /Users/ada/Library/LaunchAgents/dev.aico.supervisor.plist
\ttype = LaunchAgent
\tstate = running

\tprogram = /opt/homebrew/bin/node
\truns = 2
\tpid = 4242
\tlast exit code = 1
}
`;
