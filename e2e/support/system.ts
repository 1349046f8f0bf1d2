// The whole aico system as a user runs it, for e2e tests: one installation in a temporary data directory on free
// loopback ports, set up, started and stopped through the built `aico` command.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from '@aico/bus/testing';
import { runAico, type CliRun } from './aico-cli';
import { LOAD_TOLERANT_ENV, SIGNAL_TIMEOUT_MS } from './timing';

/** CI runs the e2e tests inside a D-Bus session with an unlocked GNOME Keyring: the production key path then. */
export const realKeychain = process.env['AICO_TEST_SECRET_SERVICE'] === '1';

export interface SystemEnv {
  readonly env: NodeJS.ProcessEnv;
  readonly gatewayPort: number;
}

/** What `aico setup`, `aico start` and the apps read for an installation in `dataDir`, on free ports. */
export async function systemEnv(dataDir: string, overrides: NodeJS.ProcessEnv = {}): Promise<SystemEnv> {
  const gatewayPort = await freeTcpPort();
  const env: NodeJS.ProcessEnv = {
    AICO_DATA_DIR: dataDir,
    // With a real Secret Service (CI), the production path: the master key from the keychain after setup.
    AICO_PROFILE: realKeychain ? 'production' : 'development',
    AICO_BUS__PUBLISH_ENDPOINT: `tcp://127.0.0.1:${await freeTcpPort()}`,
    AICO_BUS__SUBSCRIBE_ENDPOINT: `tcp://127.0.0.1:${await freeTcpPort()}`,
    AICO_BUS__HEARTBEAT_INTERVAL_MS: '500',
    AICO_GATEWAY__PORT: String(gatewayPort),
    AICO_LOG__LEVEL: 'info',
    AICO_SCHEDULER__BACKUP__ENABLED: 'false',
    ...LOAD_TOLERANT_ENV,
    ...(process.env['DBUS_SESSION_BUS_ADDRESS'] ? { DBUS_SESSION_BUS_ADDRESS: process.env['DBUS_SESSION_BUS_ADDRESS'] } : {}),
    ...overrides,
  };
  return { env, gatewayPort };
}

export interface SystemUser {
  readonly username: string;
  readonly password: string;
  readonly role: 'admin' | 'user' | 'guest';
}

export interface SupervisedAppStatus {
  readonly name: string;
  readonly state: string;
  readonly pid: number;
  readonly restarts: number;
}

/** A running installation; `stop()` stops it and removes its directory (safe to call when start failed halfway). */
export class RunningSystem {
  private constructor(
    readonly dir: string,
    readonly env: NodeJS.ProcessEnv,
    readonly gatewayPort: number,
  ) {}

  /** `aico setup` → `aico start --detach` → the users; throws with the CLI's output when a step fails. */
  static async start(options: { readonly users?: readonly SystemUser[]; readonly env?: NodeJS.ProcessEnv; readonly password: string }): Promise<RunningSystem> {
    const dir = await mkdtemp(join(tmpdir(), 'aico-system-'));
    const { env, gatewayPort } = await systemEnv(join(dir, 'data'), options.env);
    const system = new RunningSystem(dir, env, gatewayPort);
    try {
      await system.aico(['setup', '--password-stdin'], `${options.password}\n`);
      await system.aico(['start', '--detach']);
      for (const user of options.users ?? []) await system.aico(['users', 'add', user.username, '--role', user.role, '--password-stdin'], `${user.password}\n`);
    } catch (error) {
      await system.stop();
      throw error;
    }
    return system;
  }

  get baseUrl(): string {
    return `https://127.0.0.1:${this.gatewayPort}`;
  }

  /** Runs `aico <args>` against this installation; throws unless it exits 0. */
  async aico(args: readonly string[], input = ''): Promise<CliRun> {
    const run = await runAico(args, this.env, input);
    if (run.code !== 0) throw new Error(`aico ${args.join(' ')} exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
    return run;
  }

  /**
   * The supervisor's view of one app (`aico status --json`). The command gives the supervisor a short deadline
   * and reports none when it misses it, as it can on a loaded machine: asked again until it answers.
   */
  async app(name: string, timeoutMs = SIGNAL_TIMEOUT_MS): Promise<SupervisedAppStatus> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await runAico(['status', '--json'], this.env);
      if (run.code === 0) {
        const status = JSON.parse(run.stdout) as { supervisor: SupervisedAppStatus[] | null };
        const app = status.supervisor?.find((candidate) => candidate.name === name);
        if (app) return app;
      }
      if (Date.now() > deadline)
        throw new Error(`the supervisor did not report ${name} within ${timeoutMs} ms (is aico running?); last "aico status":\n${run.stdout}\n${run.stderr}`);
    }
  }

  async stop(): Promise<void> {
    await runAico(['stop'], this.env);
    await rm(this.dir, { recursive: true, force: true });
  }
}
