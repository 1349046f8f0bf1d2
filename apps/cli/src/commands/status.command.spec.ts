// `aico status` on a full disk, with the disk's free space stubbed at the edge (statfs) and a real CURVE bus: it
// says the disk is full, in text and in JSON, and still reports what answers. The same against a real full tmpfs
// is e2e/cli/full-disk.e2e-spec.ts (where mounting is allowed).
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { TestBus, type TestClient } from '@aico/bus/testing';
import { baseConfigSchema, loadConfig } from '@aico/config';
import { KeyManager } from '@aico/key-manager';
import { removePidFile, writePidFile } from '@aico/pid-files';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import type { CliContext } from '../cli-context';
import type { StatFs } from '../disk-space';
import { ExitCode, toCliError } from '../exit-codes';
import { registerStatus } from './status.command';

describe('aico status and the disk of the data directory', () => {
  let environment: ServiceTestEnvironment;
  let bus: TestBus;
  let keys: TestClient;
  let context: CliContext;
  let unreachable: CliContext;
  let out: string[];
  let errors: string[];

  const freeBytes =
    (bytes: number): StatFs =>
    async () => ({ bavail: bytes / 4096, bsize: 4096 });

  async function status(cli: CliContext, statfs: StatFs, ...args: string[]): Promise<ExitCode> {
    const program = new Command('aico').exitOverride();
    registerStatus(program, () => cli, statfs);
    try {
      await program.parseAsync(['node', 'aico', 'status', ...args]);
      return ExitCode.Ok;
    } catch (error) {
      const failure = toCliError(error);
      errors.push(failure.message);
      return failure.exitCode;
    }
  }

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('ipc', { AICO_LOG__FILE: 'false' });
    bus = await new TestBus({ transport: 'ipc', keys: environment.keys }).start();
    keys = bus.client('keys');
    await keys.connect();
    const cliContext = (env: NodeJS.ProcessEnv): CliContext => {
      const { config } = loadConfig({ schema: baseConfigSchema, env });
      return { config, keyManager: new KeyManager({ dataDir: config.dataDir }), out: (line) => out.push(line), progress: () => undefined };
    };
    context = cliContext({ ...environment.env, AICO_BUS__PUBLISH_ENDPOINT: bus.publishEndpoint, AICO_BUS__SUBSCRIBE_ENDPOINT: bus.subscribeEndpoint });
    unreachable = cliContext({
      ...environment.env,
      AICO_BUS__PUBLISH_ENDPOINT: `ipc://${environment.dir}/none-pub.sock`,
      AICO_BUS__SUBSCRIBE_ENDPOINT: `ipc://${environment.dir}/none-sub.sock`,
    });
  });
  beforeEach(() => {
    out = [];
    errors = [];
  });
  afterAll(async () => {
    await keys.close();
    await bus.stop();
    await environment.cleanup();
  });

  it('says first that the disk is full, and still what answers', async () => {
    expect(await status(context, freeBytes(4096))).toBe(ExitCode.Ok);
    expect(out[0]).toBe(
      `disk       FULL: 4.0 KiB free on the file system of ${environment.dir}; storage refuses writes until you free space there ("aico doctor" says more)`,
    );
    expect(out.find((line) => line.startsWith('keys '))).toMatch(/^keys\s+up\s+[\d.]+ ms$/);
  });

  it('puts the free space in the JSON, full or not', async () => {
    expect(await status(context, freeBytes(4096), '--json')).toBe(ExitCode.Ok);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ dataDir: environment.dir, disk: { freeBytes: 4096, full: true } });
    out = [];
    expect(await status(context, freeBytes(2 * 1024 ** 3), '--json')).toBe(ExitCode.Ok);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ disk: { freeBytes: 2 * 1024 ** 3, full: false } });
  });

  it('names the apps left running without a supervisor (by their pid files), without touching them', async () => {
    // This test process stands in for an orphaned app: its pid file names it and the script it runs.
    await writePidFile(environment.dir, 'monitor');
    try {
      expect(await status(context, freeBytes(2 * 1024 ** 3), '--json')).toBe(ExitCode.Ok);
      expect(JSON.parse(out.join('\n'))).toMatchObject({ supervisor: null, withoutSupervisor: [{ name: 'monitor', pid: process.pid }] });
      out = [];
      expect(await status(context, freeBytes(2 * 1024 ** 3))).toBe(ExitCode.Ok);
      expect(out[0]).toBe(`supervisor not running, but aico apps it started still run: monitor (pid ${process.pid}) ("aico stop" stops them)`);
    } finally {
      await removePidFile(environment.dir, 'monitor');
    }
  });

  it('never makes a development key (it writes nothing): without one, no service runs and aico is not running (69)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'aico-status-dev-'));
    try {
      const { config } = loadConfig({
        schema: baseConfigSchema,
        env: {
          AICO_DATA_DIR: dataDir,
          AICO_PROFILE: 'development',
          AICO_BUS__PUBLISH_ENDPOINT: `ipc://${dataDir}/pub.sock`,
          AICO_BUS__SUBSCRIBE_ENDPOINT: `ipc://${dataDir}/sub.sock`,
        },
      });
      const development: CliContext = { config, keyManager: new KeyManager({ dataDir }), out: (line) => out.push(line), progress: () => undefined };
      expect(await status(development, freeBytes(2 * 1024 ** 3))).toBe(ExitCode.Unavailable);
      expect(errors[0]).toBe(
        `Cannot reach the aico bus: There is no development key ${join(dataDir, 'dev-master.key')} yet: no aico service has started in the development profile for this data directory. Is aico running ("npm start")?`,
      );
      expect(await readdir(dataDir)).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('names the full disk when the bus cannot be reached', async () => {
    expect(await status(unreachable, freeBytes(0))).toBe(ExitCode.Unavailable);
    expect(errors[0]).toMatch(new RegExp(`^The disk of ${environment.dir} is full \\(0 B free\\)\\. Cannot reach the aico bus`));
  });
});
