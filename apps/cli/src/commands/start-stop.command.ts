// `aico start` runs the supervisor (in the foreground, or `--detach`ed with its output in the data directory and
// the command returning once every app is ready); `aico stop` asks it to stop everything and waits until it has.
// Both also stop aico apps left running without a supervisor (found by their pid files), which would otherwise
// hold the ports and make the next start fail.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SupervisorTopics } from '@aico/contracts';
import { isRunning } from '@aico/pid-files';
import { withBus } from '../bus-connection';
import type { CliContext } from '../cli-context';
import { CliError, ExitCode } from '../exit-codes';
import { DEFAULT_STOP_TIMINGS, describeApps, findAppProcesses, stopAppProcesses, waitUntilReaped, type StopTimings } from '../orphaned-apps';
import { runningSupervisor, SUPERVISOR_SCRIPT } from '../supervisor-process';

const DETACHED_READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 120_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface StartStopOptions {
  /** The supervisor's entry point (tests: a stand-in). */
  readonly supervisorScript?: string;
  readonly orphanTimings?: StopTimings;
}

/**
 * Stops the apps whose supervisor is gone, saying which and how; returns how many were stopped. Throws when one
 * survives SIGKILL (a process stuck in the kernel): starting beside it would only fail on its ports.
 */
async function stopOrphanedApps(cli: CliContext, timings: StopTimings, when: string): Promise<number> {
  const orphans = await findAppProcesses(cli.config.dataDir);
  if (orphans.length === 0) return 0;
  cli.progress(
    `${when}: aico apps are running without their supervisor: ${describeApps(orphans)}. Stopping them (SIGTERM, then SIGKILL after ${timings.graceMs / 1000} s) ...`,
  );
  const results = await stopAppProcesses(cli.config.dataDir, orphans, timings);
  const killed = results.filter((result) => result.outcome === 'killed').map((result) => result.entry);
  const survived = results.filter((result) => result.outcome === 'survived').map((result) => result.entry);
  if (killed.length > 0) cli.progress(`Killed (they did not stop within ${timings.graceMs / 1000} s): ${describeApps(killed)}.`);
  if (survived.length > 0) {
    throw new CliError(
      `These aico apps are still running after SIGKILL: ${describeApps(survived)}. Check them with "ps -p ${survived.map((entry) => entry.pid).join(',')}".`,
      ExitCode.Failure,
    );
  }
  return results.length;
}

export function registerStartStop(program: Command, context: () => CliContext, options: StartStopOptions = {}): void {
  const supervisorScript = options.supervisorScript ?? SUPERVISOR_SCRIPT;
  const orphanTimings = options.orphanTimings ?? DEFAULT_STOP_TIMINGS;
  program
    .command('start')
    .description('start every aico app under the supervisor (restarts crashed apps; Ctrl-C or "aico stop" stops them)')
    .option('--detach', 'run in the background and return once every app is ready')
    .action(async (startOptions: { detach?: boolean }) => {
      const cli = context();
      const running = await runningSupervisor(cli.config.dataDir, supervisorScript);
      if (running) throw new CliError(`aico is already running for ${cli.config.dataDir} (supervisor pid ${running.pid}).`, ExitCode.TryLater);
      if (!existsSync(supervisorScript))
        throw new CliError(`The supervisor is not built (${supervisorScript}): run "npm start" or "npx nx run-many -t build".`, ExitCode.Unavailable);
      const cleaned = await stopOrphanedApps(cli, orphanTimings, 'Before starting');
      if (cleaned > 0) cli.progress(`Cleaned up ${cleaned} aico app${cleaned === 1 ? '' : 's'} left running without a supervisor.`);
      if (startOptions.detach) return startDetached(cli, supervisorScript);
      // Foreground: the terminal's Ctrl-C reaches the supervisor too; this process only waits for it to finish.
      const child = spawn(process.execPath, [supervisorScript], { stdio: 'inherit', env: process.env });
      const ignore = () => undefined;
      const forward = () => void child.kill('SIGTERM');
      process.on('SIGINT', ignore);
      process.on('SIGTERM', forward);
      const code = await new Promise<number>((resolve, reject) => {
        child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
        child.once('error', (error) => reject(new CliError(`Cannot start the supervisor: ${error.message}`, ExitCode.Failure)));
      }).finally(() => {
        process.off('SIGINT', ignore);
        process.off('SIGTERM', forward);
      });
      if (code !== 0) throw new CliError(`The supervisor ended with exit code ${code}.`, code === 75 ? ExitCode.TryLater : ExitCode.Failure);
    });

  program
    .command('stop')
    .description('stop every aico app (in reverse start order) and the supervisor')
    .action(async () => {
      const cli = context();
      const running = await runningSupervisor(cli.config.dataDir, supervisorScript);
      if (running) {
        try {
          process.kill(running.pid, 'SIGTERM');
        } catch (error) {
          // Ended between the look and the signal: what it left behind is stopped below.
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
        }
        cli.progress(`Stopping aico (supervisor pid ${running.pid}) ...`);
        const deadline = Date.now() + STOP_TIMEOUT_MS;
        while (isRunning(running)) {
          if (Date.now() > deadline)
            throw new CliError(
              `The supervisor (pid ${running.pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s; see ${join(cli.config.dataDir, 'logs')}.`,
              ExitCode.Failure,
            );
          await sleep(100);
        }
        await waitUntilReaped([running.pid], orphanTimings);
      }
      // Apps the supervisor could not stop, or all of them when it was gone before: stopped by their pid files.
      const orphans = await stopOrphanedApps(cli, orphanTimings, running ? 'After the supervisor stopped' : 'The supervisor is not running');
      if (running) cli.out(orphans > 0 ? `aico stopped (and ${orphans} app${orphans === 1 ? '' : 's'} the supervisor left behind).` : 'aico stopped.');
      else
        cli.out(orphans > 0 ? `aico stopped: ${orphans} app${orphans === 1 ? '' : 's'} had been left running without a supervisor.` : 'aico is not running.');
    });
}

async function startDetached(cli: CliContext, supervisorScript: string): Promise<void> {
  const logs = join(cli.config.dataDir, 'logs');
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  const consoleLog = join(logs, 'supervisor.console.log');
  const output = openSync(consoleLog, 'a', 0o600);
  // Its structured log is already written (and rotated) as logs/supervisor.N.log: stdout would only copy it into a
  // file nothing rotates. Stderr keeps what is said before that log exists (a configuration error, a crash).
  const child = spawn(process.execPath, [supervisorScript], {
    detached: true,
    stdio: ['ignore', 'ignore', output],
    env: { ...process.env, AICO_SUPERVISOR__FORWARD_OUTPUT: 'false' },
  });
  closeSync(output);
  child.unref();
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  child.once('error', () => (exited ??= null));
  cli.progress(`Starting aico (supervisor pid ${child.pid}; output in ${consoleLog}) ...`);
  const deadline = Date.now() + DETACHED_READY_TIMEOUT_MS;
  for (;;) {
    if (exited !== undefined) throw new CliError(`The supervisor exited (code ${exited}) before aico was ready; see ${consoleLog}.`, ExitCode.Failure);
    if (Date.now() > deadline)
      throw new CliError(
        `aico was not ready within ${DETACHED_READY_TIMEOUT_MS / 1000} s; it keeps trying (see ${consoleLog}, "aico status").`,
        ExitCode.TryLater,
      );
    const status = await withBus(cli, (bus) => bus.request(SupervisorTopics.status, {}, { timeoutMs: cli.config.bus.requestTimeoutMs })).catch(() => undefined);
    if (status?.allReady) {
      cli.out(`aico is running: ${status.apps.map((app) => `${app.name} (pid ${app.pid})`).join(', ')}.`);
      return;
    }
    await sleep(250);
  }
}
