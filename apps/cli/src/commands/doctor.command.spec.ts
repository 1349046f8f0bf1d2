// `aico doctor` end to end in this process: a real CURVE bus on tcp, stand-ins for every service (storage answering
// its database check), a stand-in gateway on the configured port, a real data directory; only the keychain (holding
// this installation's key) and the free disk space are stand-ins. Every check passes; then one is broken.
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Command } from 'commander';
import { TestBus, type TestClient } from '@aico/bus/testing';
import { baseConfigSchema, loadConfig } from '@aico/config';
import { StorageTopics } from '@aico/contracts';
import { KeyManager, keychainAccount, type SecretStore } from '@aico/key-manager';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import type { CliContext } from '../cli-context';
import { createProgram } from '../cli-program';
import { createDoctorEnvironment, type DoctorEnvironment } from '../doctor/doctor';
import { loadGatewayEndpoint } from '../doctor/gateway-endpoint';
import { PINGED_SERVICES } from '../doctor/services.check';
import { listenOnFreePort, type StandIn } from '../doctor/testing/stand-in-server';
import { ExitCode, toCliError } from '../exit-codes';
import { registerDoctor } from './doctor.command';

class StandInKeychain implements SecretStore {
  readonly description = 'OS keychain';
  constructor(private readonly entries: ReadonlyMap<string, string>) {}
  async get(account: string): Promise<string | undefined> {
    return this.entries.get(account);
  }
  async set(): Promise<void> {
    throw new Error('the doctor never writes to the keychain');
  }
  async delete(): Promise<void> {
    throw new Error('the doctor never writes to the keychain');
  }
}

const CHECKS = [
  'node',
  'keychain',
  'master-key',
  'plaintext-key',
  'data-dir',
  'key-files',
  'data-files',
  'disk-space',
  'port:bus-publish',
  'port:bus-subscribe',
  'port:gateway',
  'bus',
  'services',
  'database',
];

describe('aico doctor', () => {
  let environment: ServiceTestEnvironment;
  let bus: TestBus;
  let gateway: StandIn;
  let context: CliContext;
  let doctorEnvironment: DoctorEnvironment;
  const services: TestClient[] = [];
  let out: string[] = [];
  let errors: string[] = [];

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('tcp', { AICO_LOG__FILE: 'false' });
    bus = await new TestBus({ transport: 'tcp', keys: environment.keys }).start();
    for (const identity of PINGED_SERVICES) {
      const service = bus.client(identity);
      if (identity === 'storage') {
        service.handle(StorageTopics.databaseCheck, () => ({
          ok: true,
          schemaMigration: '0003_jobs',
          databaseKeyVersion: 1,
          sizeBytes: 1_048_576n,
          walBytes: 0n,
        }));
      }
      await service.connect();
      services.push(service);
    }
    gateway = await listenOnFreePort(
      createServer((request, response) => {
        response.writeHead(request.url === '/api/v1/health' ? 200 : 404, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ status: 'ok', service: 'gateway' }));
      }),
    );
    const env = {
      ...environment.env,
      AICO_BUS__PUBLISH_ENDPOINT: bus.publishEndpoint,
      AICO_BUS__SUBSCRIBE_ENDPOINT: bus.subscribeEndpoint,
      AICO_GATEWAY__PORT: String(gateway.port),
      AICO_GATEWAY__TLS: 'false',
    };
    const { config } = loadConfig({ schema: baseConfigSchema, env });
    context = { config, keyManager: new KeyManager({ dataDir: config.dataDir }), out: (line) => out.push(line), progress: () => undefined };
    await writeFile(join(environment.dir, 'master-key.vault.json'), '{}', { mode: 0o600 });

    const masterKeyHex = (await readFile(environment.env['AICO_MASTER_KEY_FILE']!, 'utf8')).trim();
    const real = createDoctorEnvironment();
    doctorEnvironment = createDoctorEnvironment({
      secretStore: new StandInKeychain(new Map([[keychainAccount(config.dataDir), masterKeyHex]])),
      gatewayEndpoint: () => loadGatewayEndpoint(env),
      // Free space is the machine's business, not this test's.
      fs: { ...real.fs, statfs: async () => ({ bavail: (8 * 1024 ** 3) / 4096, bsize: 4096 }) },
    });
  });
  beforeEach(() => {
    out = [];
    errors = [];
  });
  afterAll(async () => {
    await gateway.close();
    await bus.stop();
    await environment.cleanup();
  });

  async function doctor(...args: string[]): Promise<ExitCode> {
    const program = new Command('aico').exitOverride();
    registerDoctor(
      program,
      () => context,
      () => doctorEnvironment,
    );
    try {
      await program.parseAsync(['node', 'aico', 'doctor', ...args]);
      return ExitCode.Ok;
    } catch (error) {
      const failure = toCliError(error);
      errors.push(failure.message);
      return failure.exitCode;
    }
  }

  it('is a command of the aico program', () => {
    expect(createProgram(() => context).commands.map((command) => command.name())).toContain('doctor');
  });

  it('passes every check on a healthy installation, and exits 0', async () => {
    expect(await doctor()).toBe(ExitCode.Ok);
    expect(errors).toEqual([]);
    expect(out[0]).toBe(`aico doctor: ${environment.dir} (production profile)`);
    const lines = out.slice(1, -1);
    expect(lines.map((line) => line.split(/\s+/).slice(0, 2))).toEqual(CHECKS.map((name) => ['ok', name]));
    const line = (name: string) => lines.find((candidate) => candidate.split(/\s+/)[1] === name);
    expect(line('bus')).toContain(`Connected as "cli" through ${bus.publishEndpoint} and ${bus.subscribeEndpoint} with the key from OS keychain`);
    expect(line('port:gateway')).toContain(`127.0.0.1:${gateway.port} is in use by aico's gateway`);
    expect(line('database')).toContain('Integrity ok; database key version 1; schema 0003_jobs; 1.0 MiB');
    expect(out.at(-1)).toBe(`${CHECKS.length} ok, 0 warnings, 0 failures.`);
  });

  it('prints JSON for machines, and exits 1 naming the fix when a check fails', async () => {
    await chmod(environment.dir, 0o755);
    try {
      expect(await doctor('--json')).toBe(ExitCode.Failure);
    } finally {
      await chmod(environment.dir, 0o700);
    }
    expect(errors).toEqual(['1 check failed; each one says what to do.']);
    const report = JSON.parse(out.join('\n')) as { ok: boolean; summary: object; checks: { name: string; status: string; fix?: string }[] };
    expect(report).toMatchObject({ ok: false, dataDir: environment.dir, profile: 'production', summary: { ok: CHECKS.length - 1, warn: 0, fail: 1 } });
    expect(report.checks.map((check) => check.name)).toEqual(CHECKS);
    expect(report.checks.find((check) => check.status !== 'ok')).toEqual({
      name: 'data-dir',
      status: 'fail',
      detail: `${environment.dir}: its mode is 0755: other users can look inside.`,
      fix: `chmod 700 ${environment.dir}`,
    });
  });
});
