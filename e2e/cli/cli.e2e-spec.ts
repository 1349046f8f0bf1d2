// The real `aico` CLI as a user's scripts run it: setup, wrong and right unlocks, back-off, password change,
// status, exit codes; and a service that starts from the OS keychain with no password when there is one.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyManager, keychainAccount, OsKeychain } from '@aico/key-manager';
import { KeyRing } from '@aico/keys';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { WORKSPACE_ROOT, ServiceProcess } from '../support/service-process';

const CLI = join(WORKSPACE_ROOT, 'dist/apps/cli/apps/cli/src/main.js');
const BUS = 'dist/apps/bus/apps/bus/src/main.js';
const KEYS = 'dist/apps/keys/apps/keys/src/main.js';
const PASSWORD = 'Correct-Horse-7-battery';
const NEW_PASSWORD = 'an even longer passphrase, for aico';
const secretService = process.env['AICO_TEST_SECRET_SERVICE'] === '1';
/** Each CLI run derives a key with Argon2id (64 MiB): generous on a machine whose cores are busy elsewhere. */
const SLOW_TEST_MS = 240_000;
/** A generous wait for a service's log line: a signal, not a window. */
const SERVICE_LOG_WAIT_MS = 90_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a script would: `env` on top of this process's, `input` on standard input. */
function runCli(args: readonly string[], env: NodeJS.ProcessEnv, input = ''): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(input);
  });
}

describe('aico CLI', () => {
  let dir: string;
  const outputs: string[] = [];

  async function aico(args: string[], input?: string): Promise<Run> {
    // The back-off after wrong passwords must outlast the start of the next CLI process on any machine: an hour.
    const run = await runCli(args, { AICO_DATA_DIR: dir, AICO_LOG__FILE: 'false', AICO_CLI__UNLOCK_BACKOFF_MS: String(60 * 60_000) }, input);
    outputs.push(run.stdout, run.stderr);
    return run;
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aico-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it(
    'sets up from standard input, showing each step with its time',
    async () => {
      const run = await aico(['setup', '--password-stdin'], `${PASSWORD}\n`);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/Deriving the key-encryption key \(Argon2id, 64 MiB, 3 passes\) \.\.\. \d+ ms/);
      expect(run.stdout).toContain('aico is set up');
      expect((await stat(join(dir, 'master-key.vault.json'))).mode & 0o777).toBe(0o600);
      expect(run.stdout).toContain(secretService ? 'The master key is in the OS keychain' : 'Not stored in the OS keychain');
      expect((await aico(['setup', '--password-stdin'], `${PASSWORD}\n`)).code).toBe(73);
    },
    SLOW_TEST_MS,
  );

  it(
    'changes the password from a file, after which only the new one unlocks',
    async () => {
      const file = join(dir, 'passwords.txt');
      await writeFile(file, `${PASSWORD}\n${NEW_PASSWORD}\n`, { mode: 0o600 });
      expect((await aico(['passwd', '--password-file', file])).code).toBe(0);
      expect((await aico(['unlock', '--password-stdin'], `${PASSWORD}\n`)).code).toBe(77);
      const unlocked = await aico(['unlock', '--password-stdin'], `${NEW_PASSWORD}\n`);
      if (secretService) expect(unlocked).toMatchObject({ code: 0, stdout: expect.stringContaining('Unlocked') });
      else expect(unlocked).toMatchObject({ code: 69, stderr: expect.stringContaining('The password is right, but the OS keychain is not available') });
    },
    SLOW_TEST_MS,
  );

  it(
    'refuses a wrong password (77), then backs off (75)',
    async () => {
      for (let i = 0; i < 3; i++) {
        const wrong = await aico(['unlock', '--password-stdin'], 'Wrong-password-123\n');
        expect(wrong).toMatchObject({ code: 77, stderr: 'aico: The master password is wrong.\n' });
      }
      const blocked = await aico(['unlock', '--password-stdin'], `${PASSWORD}\n`);
      expect(blocked.code).toBe(75);
      expect(blocked.stderr).toMatch(/Too many wrong passwords \(3\)\. Try again in \d+ s\./);
    },
    SLOW_TEST_MS,
  );

  it('reports status as JSON', async () => {
    const run = await aico(['keys', 'status', '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ setUp: true, dataDir: dir, keychain: { holdsMasterKey: secretService } });
  });

  it(
    secretService ? 'lets a service start from the keychain with no password' : 'refuses to start a production service with no key source, naming the way out',
    async () => {
      const bus = new ServiceProcess('bus', BUS, [], {
        AICO_PROFILE: 'production',
        AICO_DATA_DIR: dir,
        AICO_LOG__FILE: 'false',
        AICO_BUS__PUBLISH_ENDPOINT: `ipc://${dir}/pub.sock`,
        AICO_BUS__SUBSCRIBE_ENDPOINT: `ipc://${dir}/sub.sock`,
        ...(process.env['DBUS_SESSION_BUS_ADDRESS'] ? { DBUS_SESSION_BUS_ADDRESS: process.env['DBUS_SESSION_BUS_ADDRESS'] } : {}),
      });
      if (secretService) {
        const loaded = await bus.waitForMessage('Master key loaded', SERVICE_LOG_WAIT_MS);
        expect(String(loaded['keySource'])).toContain('OS keychain');
        await bus.waitForMessage('bus ready', SERVICE_LOG_WAIT_MS);
        expect(await bus.stop()).toEqual({ code: 0, signal: null });
      } else {
        expect((await bus.exited).code).toBe(78);
        expect(bus.lines.find((line) => line.level === 60)?.msg).toMatch(/OS keychain was not used .*aico unlock.*AICO_MASTER_KEY_FILE/);
      }
    },
    SLOW_TEST_MS,
  );

  it(
    'answers bad usage with 64 and a weak password with 65, and never prints a password',
    async () => {
      expect((await aico(['frobnicate'])).code).toBe(64);
      expect((await aico(['unlock'])).code).toBe(64); // no terminal, no --password-* option
      const weak = await mkdtemp(join(tmpdir(), 'aico-cli-weak-'));
      const run = await runCli(['setup', '--password-stdin'], { AICO_DATA_DIR: weak }, 'password\n');
      await rm(weak, { recursive: true, force: true });
      expect(run).toMatchObject({ code: 65, stderr: expect.stringContaining('The master password is too weak') });
      const everything = outputs.join('\n') + run.stdout + run.stderr;
      for (const secret of [PASSWORD, NEW_PASSWORD, 'Wrong-password-123']) expect(everything).not.toContain(secret);
    },
    SLOW_TEST_MS,
  );
});

describe('aico setup on a development data directory', () => {
  it(
    'adopts the development key the services already use, so their data stays readable',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'aico-cli-dev-'));
      try {
        const developmentKey = randomBytes(32);
        await writeFile(join(dir, 'dev-master.key'), `${developmentKey.toString('hex')}\n`, { mode: 0o600 });
        const run = await runCli(['setup', '--password-stdin'], { AICO_DATA_DIR: dir, AICO_PROFILE: 'development' }, `${PASSWORD}\n`);
        expect(run.code).toBe(0);
        expect(run.stderr).toContain(`Adopting the development master key in ${join(dir, 'dev-master.key')}`);
        const unlocked = await new KeyManager({ dataDir: dir }).unlock(PASSWORD);
        expect(unlocked.purposeKey('database')).toEqual(new KeyRing(developmentKey, 'dev').purposeKey('database'));
        // Finding 7 of issue 14: no plaintext key is left beside the vault once the keychain holds the key; without
        // a keychain the file is how services start, so it stays, and the doctor fails until it is gone.
        const doctor = await runCli(['doctor', '--json'], {
          AICO_DATA_DIR: dir,
          AICO_PROFILE: 'development',
          AICO_BUS__PUBLISH_ENDPOINT: `ipc://${dir}/pub.sock`,
          AICO_BUS__SUBSCRIBE_ENDPOINT: `ipc://${dir}/sub.sock`,
        });
        const plaintextKey = (JSON.parse(doctor.stdout) as { checks: { name: string; status: string; fix?: string }[] }).checks.find(
          (check) => check.name === 'plaintext-key',
        );
        if (secretService) {
          expect(run.stdout).toContain(`Removed the plaintext development key ${join(dir, 'dev-master.key')}`);
          await expect(stat(join(dir, 'dev-master.key'))).rejects.toMatchObject({ code: 'ENOENT' });
          expect(plaintextKey).toMatchObject({ status: 'ok' });
        } else {
          expect(run.stdout).toContain(`The development key ${join(dir, 'dev-master.key')} stays`);
          expect(doctor.code).toBe(1);
          expect(plaintextKey).toMatchObject({ status: 'fail', fix: expect.stringContaining('aico unlock') });
        }
        await new OsKeychain().delete(keychainAccount(dir)).catch(() => undefined);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    SLOW_TEST_MS,
  );
});

describe('aico keys rotate, against running bus and keys processes', () => {
  let environment: ServiceTestEnvironment;
  const processes: ServiceProcess[] = [];

  const aicoWith = (args: string[]): Promise<Run> => runCli(args, environment.env);

  beforeAll(async () => {
    environment = await createServiceTestEnvironment('tcp', { AICO_LOG__FILE: 'false', AICO_LOG__LEVEL: 'info' });
  });
  afterAll(async () => {
    for (const child of processes) child.signal('SIGKILL');
    await environment.cleanup();
  });

  it('says the bus is unreachable (69) when aico is not running', async () => {
    const run = await aicoWith(['keys', 'rotate', 'file']);
    expect(run.code).toBe(69);
    expect(run.stderr).toContain('Cannot reach the aico bus');
  });

  it(
    'rotates through the keys service, and refuses an unknown purpose (64)',
    async () => {
      const bus = new ServiceProcess('bus', BUS, [], environment.env);
      processes.push(bus);
      await bus.waitForMessage('bus ready', SERVICE_LOG_WAIT_MS);
      const keys = new ServiceProcess('keys', KEYS, [], environment.env);
      processes.push(keys);
      await keys.waitForMessage('keys ready', SERVICE_LOG_WAIT_MS);
      const run = await aicoWith(['keys', 'rotate', 'file', '--reason', 'e2e']);
      expect(run).toMatchObject({ code: 0, stdout: 'The file key is now version 2 (was 1).\n' });
      expect(keys.lines.some((line) => line.msg === 'Purpose key rotated' && line['requestedBy'] === 'cli' && line['reason'] === 'e2e')).toBe(true);
      expect((await aicoWith(['keys', 'rotate', 'everything'])).code).toBe(64);
      expect(await keys.stop()).toEqual({ code: 0, signal: null });
      expect(await bus.stop()).toEqual({ code: 0, signal: null });
    },
    SLOW_TEST_MS,
  );
});
