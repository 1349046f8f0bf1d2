// Runs the built `aico` command as a person would (its own process, arguments, standard input), for e2e tests.
import { execFile } from 'node:child_process';
import { builtAppEntryPoint } from './build-output';
import { WORKSPACE_ROOT } from './service-process';

export const AICO_CLI = builtAppEntryPoint(WORKSPACE_ROOT, 'cli');

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function runAico(args: readonly string[], env: NodeJS.ProcessEnv, input = '', command: readonly string[] = []): Promise<CliRun> {
  const [file, ...prefix] = command.length > 0 ? command : [process.execPath];
  return new Promise((resolve) => {
    const child = execFile(
      file!,
      [...prefix, ...(command.length > 0 ? [process.execPath] : []), AICO_CLI, ...args],
      { env: { PATH: process.env['PATH'], ...env }, timeout: 180_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(input);
  });
}
