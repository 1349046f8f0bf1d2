// The whole aico system as a user starts it, for the footprint benchmark: a temporary data directory, the
// development profile, free loopback ports, `aico setup --password-stdin`, then `aico start --detach` (which returns
// once the supervisor reports every default app ready) and at the end `aico stop`. Every other setting is the
// default: heartbeat and sampling intervals, log level info, the default apps. The bench reaches the bus as the CLI
// does, with the `cli` identity under the development master key in the data directory.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtAppEntryPoint } from '../../build/build-paths.mjs';
import { type BusClient } from '@aico/bus';
import { createTestClient, freeTcpPort } from '@aico/bus/testing';
import { KeyRing } from '@aico/keys';
import { WORKSPACE_ROOT } from '../support/bench-runtime';

const PASSWORD = 'Footprint-bench-2026!';
const CLI_TIMEOUT_MS = 300_000;

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class RunningSystem {
  private client: BusClient | undefined;

  private constructor(
    readonly dir: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  /** A set-up installation, not yet started. */
  static async setUp(): Promise<RunningSystem> {
    const dir = await mkdtemp(join(tmpdir(), 'aico-bench-footprint-'));
    const env: NodeJS.ProcessEnv = {
      AICO_DATA_DIR: join(dir, 'data'),
      AICO_PROFILE: 'development',
      AICO_BUS__PUBLISH_ENDPOINT: `tcp://127.0.0.1:${await freeTcpPort()}`,
      AICO_BUS__SUBSCRIBE_ENDPOINT: `tcp://127.0.0.1:${await freeTcpPort()}`,
      AICO_GATEWAY__PORT: String(await freeTcpPort()),
      AICO_LOG__LEVEL: 'info',
      // Node flags to try on every process (an experiment: `NODE_OPTIONS=--… npm run bench:footprint`).
      ...(process.env['NODE_OPTIONS'] ? { NODE_OPTIONS: process.env['NODE_OPTIONS'] } : {}),
    };
    const system = new RunningSystem(dir, env);
    try {
      await system.aico(['setup', '--password-stdin'], `${PASSWORD}\n`);
    } catch (error) {
      await system.stop();
      throw error;
    }
    return system;
  }

  /** `aico start --detach`: how long until it returned (every app ready). */
  async start(): Promise<number> {
    const started = performance.now();
    await this.aico(['start', '--detach']);
    return Math.round(performance.now() - started);
  }

  /** Runs the built `aico <args>` against this installation; throws unless it exits 0. */
  aico(args: readonly string[], input = ''): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        process.execPath,
        [builtAppEntryPoint(WORKSPACE_ROOT, 'cli'), ...args],
        { env: { PATH: process.env['PATH'], ...this.env }, timeout: CLI_TIMEOUT_MS },
        (error, stdout, stderr) => {
          const code = error ? Number((error as { code?: number }).code ?? 1) : 0;
          if (code === 0) resolve({ code, stdout, stderr });
          else reject(new Error(`aico ${args.join(' ')} exited ${code}:\n${stdout}\n${stderr}`));
        },
      );
      child.stdin!.end(input);
    });
  }

  /** A bus client with the CLI's identity (connected once, closed by stop()). */
  async bus(): Promise<BusClient> {
    if (this.client) return this.client;
    const dataDir = this.env['AICO_DATA_DIR']!;
    const keys = new KeyRing(Buffer.from((await readFile(join(dataDir, 'dev-master.key'), 'utf8')).trim(), 'hex'), 'dev');
    const client = createTestClient('cli', keys, {
      publishEndpoint: this.env['AICO_BUS__PUBLISH_ENDPOINT']!,
      subscribeEndpoint: this.env['AICO_BUS__SUBSCRIBE_ENDPOINT']!,
    });
    await client.connect();
    this.client = client;
    return client;
  }

  /** Closes the bench's client, `aico stop` (apps never outlive their supervisor), removes the directory. Never throws. */
  async stop(): Promise<void> {
    await this.client?.close({ drainTimeoutMs: 0 }).catch(() => undefined);
    this.client = undefined;
    await this.aico(['stop']).catch((error: unknown) => process.stderr.write(`footprint: ${(error as Error).message}\n`));
    await rm(this.dir, { recursive: true, force: true });
  }
}
