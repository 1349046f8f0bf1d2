// The orchestrator's side of its child processes: fork with an IPC channel, wait for "ready", call commands, and
// make sure no child outlives the run (close, then SIGKILL; SIGKILL for all of them on any exit of this process).
import { fork, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildSetup, CommandArgs, ReadyMessage, RpcResponse } from './protocol';

const live = new Set<ChildProcess>();

/** `BENCH_PROFILE=aico-pub,aico-sub` writes V8 CPU profiles of those children to `BENCH_PROFILE_DIR` (or a tmp dir). */
const profiled = new Set((process.env['BENCH_PROFILE'] ?? '').split(',').filter(Boolean));
/** `BENCH_NODE_ARGS_AICO` / `BENCH_NODE_ARGS_RAW`: extra node flags for one stack's children (aico = aico + nest). */
function nodeArgsFor(name: string): string[] {
  const value = process.env[name.startsWith('raw-') ? 'BENCH_NODE_ARGS_RAW' : 'BENCH_NODE_ARGS_AICO'] ?? '';
  return value.split(/\s+/).filter(Boolean);
}
export const PROFILE_DIR = process.env['BENCH_PROFILE_DIR'] ?? join(tmpdir(), 'aico-bench-profiles');

/** SIGKILLs every child still running. Safe to call from an 'exit' handler (synchronous). */
export function killAllChildren(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class BenchChild {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exitError: Error | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    readonly name: string,
    private readonly proc: ChildProcess,
  ) {
    this.exited = new Promise((resolve) =>
      proc.once('exit', (code, signal) => {
        live.delete(proc);
        this.exitError = new Error(`${name} exited (code ${code}, signal ${signal})`);
        for (const [id, call] of this.pending) {
          clearTimeout(call.timer);
          call.reject(this.exitError);
          this.pending.delete(id);
        }
        resolve();
      }),
    );
    proc.on('message', (message: RpcResponse | ReadyMessage) => {
      if ('event' in message) return;
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      clearTimeout(call.timer);
      if (message.ok) call.resolve(message.result);
      else call.reject(new Error(`${name}: ${message.error}`));
    });
  }

  /** Forks `<script>.js` from this directory and resolves with what it reports once ready. */
  static start(script: string, setup: ChildSetup, timeoutMs = 30_000): Promise<{ child: BenchChild; ready: Record<string, unknown> }> {
    const proc = fork(join(__dirname, `${script}.js`), [], {
      env: { ...process.env, BENCH_SETUP: JSON.stringify(setup) },
      // The child's stdout goes to our stderr: our stdout carries only the JSON result.
      stdio: ['ignore', 2, 2, 'ipc'],
      execArgv: [
        ...nodeArgsFor(setup.name),
        ...(profiled.has(setup.name) ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${setup.name}-${Date.now()}.cpuprofile`] : []),
      ],
    });
    live.add(proc);
    const child = new BenchChild(setup.name, proc);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${setup.name} was not ready within ${timeoutMs} ms`)), timeoutMs);
      proc.on('message', (message: RpcResponse | ReadyMessage) => {
        if ('event' in message && message.event === 'ready') {
          clearTimeout(timer);
          resolve({ child, ready: message.data });
        }
      });
      void child.exited.then(() => {
        clearTimeout(timer);
        reject(child.exitError);
      });
    });
  }

  call<T = unknown>(cmd: string, args: CommandArgs = {}, timeoutMs = 60_000): Promise<T> {
    if (this.exitError) return Promise.reject(this.exitError);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: no answer to ${cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.proc.send({ id, cmd, args });
    });
  }

  /** Asks the child to close its sockets and exit; SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 3_000): Promise<void> {
    if (this.exitError) return;
    await this.call('close', {}, graceMs).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    if (!this.exitError) {
      process.stderr.write(`[bench] ${this.name} did not exit within ${graceMs} ms of close; killing it\n`);
      this.proc.kill('SIGKILL');
    }
    await this.exited;
  }
}
