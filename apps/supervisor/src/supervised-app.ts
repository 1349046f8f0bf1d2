// One app under supervision: its OS process (started from its build output), its console output captured in a
// per-app rotating file, its state (starting → ready; backoff → restarted; failed; stopping → stopped) and what the
// restart policy says after a crash. Readiness comes from outside (the app announcing itself on the bus with its
// pid, which the Supervisor hears), so this class knows nothing of the bus and never reads the app's output for it. Nothing here may throw on a full disk or a
// broken pipe: the console log and the forwarded output degrade to counting what they cannot write.
import { spawn, type ChildProcess } from 'node:child_process';
import { basename, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { SupervisedAppState, type SupervisedAppSchema } from '@aico/contracts';
import { DegradableWriter, degradedMessage, recoveredMessage, RotatingFile, type Logger } from '@aico/logging';
import type { RestartPolicy } from './restart-policy';

export interface SupervisedAppOptions {
  readonly name: string;
  readonly script: string;
  readonly env: NodeJS.ProcessEnv;
  /** `<dataDir>/logs/<app>.console.log`: the current file; older ones beside it as `<app>.console.<n>.log`. */
  readonly consoleLog: string;
  readonly consoleLogMaxBytes: number;
  readonly consoleLogFiles: number;
  /** Where to copy the app's stdout and stderr lines (the supervisor's own), when they are copied at all. */
  readonly forward?: { readonly stdout: DegradableWriter; readonly stderr: DegradableWriter } | undefined;
  readonly policy: RestartPolicy;
  readonly stopTimeoutMs: number;
  readonly logger: Logger;
  readonly onChange: (app: SupervisedApp) => void;
  readonly now?: () => number;
}

/**
 * The environment an app starts with. On Linux, glibc gives threads that allocate malloc arenas of their own (up to
 * eight per core); two serve a service (its main thread, libuv's pool, libzmq's and libSQL's threads) and keep about
 * 2 MiB per process that idle arenas would hold (issue 18: the idle system 790 → 774 MiB RSS, bench:storage within
 * its run-to-run spread). The models app keeps glibc's default for llama.cpp's threads; a user's own setting wins.
 */
export function appEnvironment(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): NodeJS.ProcessEnv {
  const arenas = platform === 'linux' && name !== 'models' && env['MALLOC_ARENA_MAX'] === undefined ? { MALLOC_ARENA_MAX: '2' } : {};
  return { ...env, ...arenas, AICO_SUPERVISED: 'true' };
}

export class SupervisedApp {
  state = SupervisedAppState.STOPPED;
  restarts = 0;
  rssBytes = 0;
  lastExit = '';
  reason = '';
  private child: ChildProcess | undefined;
  private startedAt = 0;
  private everReady = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly consoleFile: RotatingFile;
  private readonly console: DegradableWriter;
  private readonly now: () => number;
  private readyWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];

  constructor(private readonly options: SupervisedAppOptions) {
    this.now = options.now ?? Date.now;
    this.consoleFile = new RotatingFile({
      dir: dirname(options.consoleLog),
      base: basename(options.consoleLog, '.log'),
      naming: 'fixed',
      maxBytes: options.consoleLogMaxBytes,
      keep: options.consoleLogFiles,
    });
    const { logger, name } = options;
    this.console = new DegradableWriter(this.consoleFile, {
      onDegraded: (notice) => logger.warn({ app: name, destination: notice.destination, code: notice.code }, degradedMessage(notice)),
      onRecovered: (notice) => {
        logger.warn({ app: name, destination: notice.destination, dropped: notice.dropped, degradedForMs: notice.degradedForMs }, recoveredMessage(notice));
        // The console log itself says where its gap is.
        const line = {
          level: 40,
          time: new Date(this.now()).toISOString(),
          service: 'supervisor',
          app: name,
          dropped: notice.dropped,
          msg: recoveredMessage(notice),
        };
        queueMicrotask(() => this.console.write(`${JSON.stringify(line)}\n`));
      },
    });
  }

  get name(): string {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    // Its own process group: a Ctrl-C in the terminal reaches the supervisor only, which stops the apps in order.
    // stdin is a pipe the supervisor never writes to: when the supervisor ends, however it ends, the app sees its
    // stdin end and stops (AICO_SUPERVISED tells it to watch).
    const child = spawn(process.execPath, [this.options.script], {
      env: appEnvironment(this.options.name, this.options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.child = child;
    this.startedAt = this.now();
    this.reason = '';
    this.setState(SupervisedAppState.STARTING);
    this.options.logger.info({ app: this.name, pid: child.pid, restarts: this.restarts }, `Started ${this.name}`);
    // A pipe to a process that just died can fail; that is the exit's business, not an uncaught error.
    for (const stream of [child.stdin, child.stdout, child.stderr]) stream.on('error', () => undefined);
    createInterface({ input: child.stdout }).on('line', (line) => this.onOutput(line, 'stdout'));
    createInterface({ input: child.stderr }).on('line', (line) => this.onOutput(line, 'stderr'));
    child.once('error', (error) => {
      this.options.logger.error({ app: this.name, err: error }, `${this.name} could not be started`);
      // No process (e.g. EAGAIN, ENOMEM): no 'exit' will follow; treat it as a crash so the policy decides.
      if (child.pid === undefined) this.onExit(child, `spawn failed (${(error as NodeJS.ErrnoException).code ?? error.message})`);
    });
    child.once('exit', (code, signal) => this.onExit(child, signal ? `signal ${signal}` : `exit code ${code}`));
  }

  /** The app announced itself on the bus from the process this app runs (`pid`); another pid is an old process. */
  markReady(pid: number): void {
    if (pid !== this.child?.pid || this.state !== SupervisedAppState.STARTING) return;
    this.everReady = true;
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
      const timer = setTimeout(
        () => reject(new Error(`${this.name} did not announce it was ready within ${timeoutMs} ms (see ${this.options.consoleLog})`)),
        timeoutMs,
      );
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

  /** SIGTERM, then SIGKILL after the stop timeout; no restart afterwards. Whoever waits for it to be ready is told no. */
  async stop(): Promise<void> {
    clearTimeout(this.restartTimer);
    this.rejectReadyWaiters(new Error(`${this.name} was stopped before it was ready`));
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

  closeConsole(): void {
    this.consoleFile.close();
  }

  /** Lines of the app's output its console log could not take, over the supervisor's life. */
  get consoleLinesDropped(): number {
    return this.console.droppedTotal;
  }

  snapshot(now = this.now()): MessageInitShape<typeof SupervisedAppSchema> {
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

  private onOutput(line: string, stream: 'stdout' | 'stderr'): void {
    this.console.write(`${line}\n`);
    this.options.forward?.[stream].write(`${line}\n`);
  }

  private onExit(child: ChildProcess, exit: string): void {
    if (child !== this.child) return;
    this.child = undefined;
    this.lastExit = exit;
    this.rssBytes = 0;
    if (this.state === SupervisedAppState.STOPPING) {
      this.options.logger.info({ app: this.name, exit }, `${this.name} stopped`);
      this.setState(SupervisedAppState.STOPPED);
      return;
    }
    const ranForMs = this.now() - this.startedAt;
    const decision = this.options.policy.afterCrash(this.name, { ranForMs, exit, everReady: this.everReady });
    if (!decision.restart) {
      this.reason = decision.reason;
      this.options.logger.error({ app: this.name, exit, crashesInARow: decision.crashesInARow }, decision.reason);
      this.setState(SupervisedAppState.FAILED);
      this.rejectReadyWaiters(new Error(decision.reason));
      return;
    }
    this.reason = decision.status;
    this.options.logger.warn(
      { app: this.name, exit, ranForMs, delayMs: decision.delayMs, crashesInARow: decision.crashesInARow },
      `${this.name} ${decision.status}`,
    );
    this.setState(SupervisedAppState.BACKOFF);
    this.restartTimer = setTimeout(() => {
      this.restarts++;
      this.start();
    }, decision.delayMs);
  }

  private rejectReadyWaiters(error: Error): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  private setState(state: SupervisedAppState): void {
    this.state = state;
    this.options.onChange(this);
  }
}
