// The `aico` command tree and how a run ends: an exit code for every outcome. main.ts runs it on process.argv;
// tests run it in this process with a context of their own.
import { Command, CommanderError } from 'commander';
import type { CliContext } from './cli-context';
import { registerBackup } from './commands/backup.command';
import { registerChat } from './commands/chat.command';
import { registerDoctor } from './commands/doctor.command';
import { registerGenerate } from './commands/generate.command';
import { registerKeys } from './commands/keys-status.command';
import { registerModels } from './commands/models.command';
import { registerPasswd } from './commands/passwd.command';
import { registerRestore } from './commands/restore.command';
import { registerService } from './commands/service.command';
import { registerSetup } from './commands/setup.command';
import { registerStartStop } from './commands/start-stop.command';
import { registerStatus } from './commands/status.command';
import { registerTasks } from './commands/tasks.command';
import { registerUnlock } from './commands/unlock.command';
import { registerUsers } from './commands/users.command';
import { ExitCode, toCliError } from './exit-codes';

export function createProgram(context: () => CliContext): Command {
  const program = new Command('aico').description('aico, the local-first companion infrastructure').version('0.1.0').exitOverride();
  registerSetup(program, context);
  registerUnlock(program, context);
  registerPasswd(program, context);
  registerKeys(program, context);
  registerBackup(program, context);
  registerRestore(program, context);
  registerUsers(program, context);
  registerStatus(program, context);
  registerStartStop(program, context);
  registerTasks(program, context);
  registerModels(program, context);
  registerService(program, context);
  registerDoctor(program, context);
  registerGenerate(program, context);
  registerChat(program, context);
  return program;
}

/** Runs `argv` (node, script, arguments...) and returns the exit code; failures are written to `writeError`. */
export async function runCli(
  argv: readonly string[],
  context: () => CliContext,
  writeError = (text: string) => void process.stderr.write(text),
): Promise<ExitCode> {
  try {
    await createProgram(context).parseAsync([...argv]);
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed by commander.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    const failure = toCliError(error);
    writeError(`aico: ${failure.message}\n`);
    return failure.exitCode;
  }
}
