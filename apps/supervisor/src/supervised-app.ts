// One app under supervision: its OS process (started from its build output), its console output captured in a
// per-app file, its state (starting → ready; backoff → restarted; failed; stopping → stopped) and what the restart
// policy says after a crash. Readiness comes from outside (the app's `system.service.ready` with its pid, or for
// the bus its own log line), so this class knows nothing of the bus.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { SupervisedAppState, type SupervisedAppSchema } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import type { RestartPolicy } from './restart-policy';

export interface SupervisedAppOptions {
  readonly name: string;
  readonly script: string;
  readonly env: NodeJS.ProcessEnv;
  readonly consoleLog: string;
  readonly forwardOutput: boolean;
  readonly policy: RestartPolicy;
  readonly stopTimeoutMs: number;
  readonly logger: Logger;
  /** The app is ready when it logs this message (the bus, which announces readiness before anyone listens). */
  readonly readyLogMessage?: string;
  readonly onChange: (app: SupervisedApp) => void;
}

export class SupervisedApp {
  state = SupervisedAppState.STOPPED;
  restarts = 0;
  rssBytes = 0;
  lastExit = '';
  reason = '';
  private child: ChildProcess | undefined;
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private console: WriteStream | undefined;
  private readyWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  constructor(private readonly options: SupervisedAppOptions) {}

  get name(): string {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (!this.console) {
      await mkdir(dirname(this.options.consoleLog), { recursive: true, mode: 0o700 });
      this.console = createWriteStream(this.options.consoleLog, { flags: 'a', mode: 0o600 });
    }
    // Its own process group: a Ctrl-C in the terminal reaches the supervisor only, which stops the apps in order.
    const child = spawn(process.execPath, [this.options.script], { env: this.options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.startedAt = Date.now();
    this.reason = '';
    this.setState(SupervisedAppState.STARTING);
    this.options.logger.info({ app: this.name, pid: child.pid, restarts: this.restarts }, `Started ${this.name}`);
    createInterface({ input: child.stdout! }).on('line', (line) => this.onOutput(line, process.stdout));
    createInterface({ input: child.stderr! }).on('line', (line) => this.onOutput(line, process.stderr));
    child.once('error', (error) => this.options.logger.error({ app: this.name, err: error }, `${this.name} could not be started`));
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
  }

  /** The app said it is ready (its `system.service.ready`, or its ready log line). */
  markReady(pid: number): void {
    if (pid !== this.child?.pid || this.state !== SupervisedAppState.STARTING) return;
    this.setState(SupervisedAppState.READY);
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  /** Resolves once ready (restarts included); rejects when the app fails for good or `timeoutMs` passes. */
  waitReady(timeoutMs: number): Promise<void> {
    if (this.state === SupervisedAppState.READY) return Promise.resolve();
    if (this.state === SupervisedAppState.FAILED) return Promise.reject(new Error(this.reason));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not announce it was ready within ${timeoutMs} ms (see ${this.options.consoleLog})`)), timeoutMs);
      this.readyWaiters.push({
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
    });
  }

  /** SIGTERM, then SIGKILL after the stop timeout; no restart afterwards. */
  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.setState(SupervisedAppState.STOPPED);
      return;
    }
    this.setState(SupervisedAppState.STOPPING);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const killer = setTimeout(() => {
      this.options.logger.warn({ app: this.name, pid: child.pid, timeoutMs: this.options.stopTimeoutMs }, `${this.name} did not stop in time; killing it`);
      child.kill('SIGKILL');
    }, this.options.stopTimeoutMs);
    await exited;
    clearTimeout(killer);
  }

  async closeConsole(): Promise<void> {
    const stream = this.console;
    this.console = undefined;
    if (stream) await new Promise<void>((resolve) => stream.end(resolve));
  }

  snapshot(now = Date.now()): MessageInitShape<typeof SupervisedAppSchema> {
    const running = this.state === SupervisedAppState.STARTING || this.state === SupervisedAppState.READY || this.state === SupervisedAppState.STOPPING;
    return {
      name: this.name,
      state: this.state,
      pid: running ? (this.child?.pid ?? 0) : 0,
      uptimeMs: BigInt(running ? now - this.startedAt : 0),
      restarts: this.restarts,
      rssBytes: BigInt(this.rssBytes),
      lastExit: this.lastExit,
      reason: this.reason,
      consoleLog: this.options.consoleLog,
    };
  }

  private onOutput(line: string, forward: NodeJS.WriteStream): void {
    this.console?.write(`${line}\n`);
    if (this.options.forwardOutput) forward.write(`${line}\n`);
    if (this.options.readyLogMessage && this.state === SupervisedAppState.STARTING && line.includes(`"msg":"${this.options.readyLogMessage}"`)) this.markReady(this.child!.pid!);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.child) return;
    const exit = signal ? `signal ${signal}` : `exit code ${code}`;
    this.lastExit = exit;
    this.rssBytes = 0;
    if (this.state === SupervisedAppState.STOPPING) {
      this.options.logger.info({ app: this.name, exit }, `${this.name} stopped`);
      this.setState(SupervisedAppState.STOPPED);
      return;
    }
    const ranForMs = Date.now() - this.startedAt;
    const decision = this.options.policy.afterCrash(this.name, ranForMs, exit);
    if (!decision.restart) {
      this.reason = decision.reason;
      this.options.logger.error({ app: this.name, exit, crashesInARow: decision.crashesInARow }, decision.reason);
      this.setState(SupervisedAppState.FAILED);
      const waiters = this.readyWaiters;
      this.readyWaiters = [];
      for (const waiter of waiters) waiter.reject(new Error(decision.reason));
      return;
    }
    this.reason = `crashed (${exit}) after ${ranForMs} ms; restarting in ${decision.delayMs} ms`;
    this.options.logger.warn({ app: this.name, exit, ranForMs, delayMs: decision.delayMs, crashesInARow: decision.crashesInARow }, `${this.name} crashed; restarting`);
    this.setState(SupervisedAppState.BACKOFF);
    this.restartTimer = setTimeout(() => {
      this.restarts++;
      void this.start();
    }, decision.delayMs);
  }

  private setState(state: SupervisedAppState): void {
    this.state = state;
    this.options.onChange(this);
  }
}
