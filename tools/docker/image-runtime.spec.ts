// What each image's runtime stage holds, without Docker: every app built as its Dockerfile builds it, its packages
// gathered by docker/collect-runtime-modules.mjs, both copied into a directory of its own outside the workspace (no
// node_modules above it to fall back on), as the final stage lays out /app. Then the whole system is started from
// those directories, every app must announce it is ready, the gateway must pass the HEALTHCHECK command read from
// its Dockerfile (and fail it against another certificate), and every app must stop cleanly on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import selfsigned from 'selfsigned';
import { freeTcpPort } from '@aico/bus/testing';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { parseDockerfile } from './dockerfile';

const root = resolve(__dirname, '..', '..');
const APPS = ['bus', 'keys', 'storage', 'scheduler', 'monitor', 'gateway'] as const;
type App = (typeof APPS)[number];

function run(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolvePromise(stdout) : reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr}`))));
  });
}

/** The app's build and packages in `<work>/<app>`, laid out as the image's /app; returns the packages copied. */
async function buildRuntimeTree(work: string, app: App): Promise<string[]> {
  // The Dockerfile's `build-node-app.mjs <app>` writes dist/apps/<app>, which other test suites run from; the
  // `<name> <dir>` form compiles the same sources the same way into a directory of this test's own.
  const name = `image-runtime-${process.pid}-${app}`;
  const build = join(root, 'dist', name);
  try {
    await run(['tools/build/build-node-app.mjs', name, `apps/${app}/src`]);
    const tree = join(work, app);
    await cp(build, tree, { recursive: true });
    const report = JSON.parse(await run(['docker/collect-runtime-modules.mjs', join(build, 'apps', app, 'src', 'main.js'), tree])) as { packages: string[] };
    return report.packages;
  } finally {
    await rm(build, { recursive: true, force: true });
  }
}

interface RunningApp {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `app` from its tree and resolves once it logs `<app> ready`; rejects with its output if it exits first. */
function startApp(work: string, app: App, env: NodeJS.ProcessEnv, started: ChildProcess[]): Promise<RunningApp> {
  const child = spawn(process.execPath, [join('apps', app, 'src', 'main.js')], { cwd: join(work, app), env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Tracked at once, so a failed start of another app still leaves this one to be killed after the test.
  started.push(child);
  const output: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) =>
    child.once('exit', (code, signal) => resolveExit({ code, signal })),
  );
  createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
  return new Promise((resolveReady, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      if (line.includes(`"msg":"${app} ready"`)) resolveReady({ child, output, exited });
    });
    void exited.then(({ code, signal }) => reject(new Error(`${app} exited (${signal ?? code}) before it was ready:\n${output.slice(-15).join('\n')}`)));
  });
}

/** The gateway image's HEALTHCHECK command, run here with `env`; resolves with its exit code. */
async function gatewayHealthcheck(env: NodeJS.ProcessEnv): Promise<number | null> {
  const dockerfile = parseDockerfile(await readFile(join(root, 'docker', 'gateway.Dockerfile'), 'utf8'));
  const healthcheck = dockerfile.stages.at(-1)!.instructions.find((instruction) => instruction.keyword === 'HEALTHCHECK')!;
  const [command, ...args] = healthcheck.args;
  expect(command).toBe('node');
  const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
  return new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
}

describe('the images’ runtime stages, run without Docker', () => {
  let work: string;
  let environment: ServiceTestEnvironment;
  const packages = {} as Record<App, string[]>;
  const running: Partial<Record<App, RunningApp>> = {};
  const started: ChildProcess[] = [];

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'aico-image-runtime-'));
    environment = await createServiceTestEnvironment('ipc');
    // Two at a time: each build and copy is busy on one core, and CI has two.
    for (let index = 0; index < APPS.length; index += 2) {
      await Promise.all(APPS.slice(index, index + 2).map(async (app) => (packages[app] = await buildRuntimeTree(work, app))));
    }
  }, 180_000);

  afterAll(async () => {
    for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(work, { recursive: true, force: true });
    await environment.cleanup();
  });

  it('gives each app its own packages: its drivers, none of the build tools, nothing of the other apps', () => {
    // Nothing above the trees could supply a missing package.
    for (let dir = work; dirname(dir) !== dir; dir = dirname(dir)) expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    const has = (app: App, name: string) => packages[app].includes(`node_modules/${name}`);
    for (const app of APPS) {
      expect([app, ['zeromq', '@bufbuild/protobuf', '@nestjs/core', 'pino', 'pino-pretty'].filter((name) => !has(app, name))]).toEqual([app, []]);
      expect([app, ['nx', '@swc/core', 'typescript', 'jest', 'eslint', '@bufbuild/buf', 'drizzle-kit'].filter((name) => has(app, name))]).toEqual([app, []]);
    }
    expect(['@libsql/client', 'drizzle-orm'].filter((name) => has('storage', name))).toEqual(['@libsql/client', 'drizzle-orm']);
    expect(['selfsigned', 'helmet', 'ws', 'jose'].filter((name) => has('gateway', name))).toEqual(['selfsigned', 'helmet', 'ws', 'jose']);
    expect(has('scheduler', 'croner') && has('monitor', 'systeminformation')).toBe(true);
    expect(['@libsql/client', 'drizzle-orm', 'croner', 'systeminformation', 'selfsigned'].filter((name) => has('bus', name))).toEqual([]);
  });

  it('starts every app from its tree alone, the gateway passes its image health check, and every app stops on SIGTERM', async () => {
    const gatewayPort = await freeTcpPort();
    const backups = join(work, 'backups');
    // Only what a container would have: no NODE_PATH, no workspace.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: work,
      ...environment.env,
      AICO_LOG__FILE: 'false',
      AICO_GATEWAY__PORT: String(gatewayPort),
      AICO_SCHEDULER__BACKUP__DIRECTORY: backups,
    };
    running.bus = await startApp(work, 'bus', env, started);
    await Promise.all(APPS.filter((app) => app !== 'bus').map(async (app) => (running[app] = await startApp(work, app, env, started))));

    const healthEnv = { PATH: process.env['PATH'], AICO_DATA_DIR: environment.dir, AICO_GATEWAY__PORT: String(gatewayPort) };
    expect(await gatewayHealthcheck(healthEnv)).toBe(0);
    // The check pins the gateway's own certificate: another self-signed one for the same address is refused,
    // and so is a gateway that does not answer.
    const impostor = join(work, 'impostor');
    await mkdir(join(impostor, 'gateway'), { recursive: true });
    const other = await selfsigned.generate([{ name: 'commonName', value: 'impostor' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    await writeFile(join(impostor, 'gateway', 'tls-cert.pem'), other.cert);
    expect(await gatewayHealthcheck({ ...healthEnv, AICO_DATA_DIR: impostor })).toBe(1);
    expect(await gatewayHealthcheck({ ...healthEnv, AICO_GATEWAY__PORT: String(await freeTcpPort()) })).toBe(1);

    // The bus last, as Docker Compose stops services in reverse dependency order.
    for (const app of [...APPS].reverse()) {
      const child = running[app]!;
      child.child.kill('SIGTERM');
      expect([app, await child.exited]).toEqual([app, { code: 0, signal: null }]);
    }
  }, 120_000);
});
