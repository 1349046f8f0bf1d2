// `aico start` runs the supervisor (in the foreground, or `--detach`ed with its output in the data directory and
// the command returning once every app is ready); `aico stop` asks it to stop everything and waits until it has.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SupervisorTopics } from '@aico/contracts';
import { withBus } from '../bus-connection';
import type { CliContext } from '../cli-context';
import { CliError, ExitCode } from '../exit-codes';
import { isAlive, runningSupervisor, SUPERVISOR_SCRIPT } from '../supervisor-process';

const DETACHED_READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 120_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function registerStartStop(program: Command, context: () => CliContext): void {
  program
    .command('start')
    .description('start every aico app under the supervisor (restarts crashed apps; Ctrl-C or "aico stop" stops them)')
    .option('--detach', 'run in the background and return once every app is ready')
    .action(async (options: { detach?: boolean }) => {
      const cli = context();
      const running = await runningSupervisor(cli.config.dataDir);
      if (running) throw new CliError(`aico is already running for ${cli.config.dataDir} (supervisor pid ${running.pid}).`, ExitCode.TryLater);
      if (!existsSync(SUPERVISOR_SCRIPT)) throw new CliError(`The supervisor is not built (${SUPERVISOR_SCRIPT}): run "npm start" or "npx nx run-many -t build".`, ExitCode.Unavailable);
      if (options.detach) return startDetached(cli);
      // Foreground: the terminal's Ctrl-C reaches the supervisor too; this process only waits for it to finish.
      const child = spawn(process.execPath, [SUPERVISOR_SCRIPT], { stdio: 'inherit', env: process.env });
      const ignore = () => undefined;
      process.on('SIGINT', ignore);
      process.on('SIGTERM', () => child.kill('SIGTERM'));
      const code = await new Promise<number>((resolve) => child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0))));
      process.off('SIGINT', ignore);
      if (code !== 0) throw new CliError(`The supervisor ended with exit code ${code}.`, code === 75 ? ExitCode.TryLater : ExitCode.Failure);
    });

  program
    .command('stop')
    .description('stop every aico app (in reverse start order) and the supervisor')
    .action(async () => {
      const cli = context();
      const running = await runningSupervisor(cli.config.dataDir);
      if (!running) {
        cli.out('aico is not running.');
        return;
      }
      process.kill(running.pid, 'SIGTERM');
      cli.progress(`Stopping aico (supervisor pid ${running.pid}) ...`);
      const deadline = Date.now() + STOP_TIMEOUT_MS;
      while (isAlive(running.pid)) {
        if (Date.now() > deadline) throw new CliError(`The supervisor (pid ${running.pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s; see ${join(cli.config.dataDir, 'logs')}.`, ExitCode.Failure);
        await sleep(100);
      }
      cli.out('aico stopped.');
    });
}

async function startDetached(cli: CliContext): Promise<void> {
  const logs = join(cli.config.dataDir, 'logs');
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  const consoleLog = join(logs, 'supervisor.console.log');
  const output = openSync(consoleLog, 'a', 0o600);
  const child = spawn(process.execPath, [SUPERVISOR_SCRIPT], { detached: true, stdio: ['ignore', output, output], env: { ...process.env, AICO_SUPERVISOR__FORWARD_OUTPUT: 'false' } });
  closeSync(output);
  child.unref();
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  cli.progress(`Starting aico (supervisor pid ${child.pid}; output in ${consoleLog}) ...`);
  const deadline = Date.now() + DETACHED_READY_TIMEOUT_MS;
  for (;;) {
    if (exited !== undefined) throw new CliError(`The supervisor exited (code ${exited}) before aico was ready; see ${consoleLog}.`, ExitCode.Failure);
    if (Date.now() > deadline) throw new CliError(`aico was not ready within ${DETACHED_READY_TIMEOUT_MS / 1000} s; it keeps trying (see ${consoleLog}, "aico status").`, ExitCode.TryLater);
    const status = await withBus(cli, (bus) => bus.request(SupervisorTopics.status, {}, { timeoutMs: 1_000 })).catch(() => undefined);
    if (status?.allReady) {
      cli.out(`aico is running: ${status.apps.map((app) => `${app.name} (pid ${app.pid})`).join(', ')}.`);
      return;
    }
    await sleep(250);
  }
}
