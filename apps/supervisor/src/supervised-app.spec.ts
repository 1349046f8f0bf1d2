// SupervisedApp with real child processes (small node scripts), a capture logger and tiny restart delays.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SupervisedAppState } from '@aico/contracts';
import { captureLogger } from '@aico/logging';
import { RestartPolicy } from './restart-policy';
import { appEnvironment, SupervisedApp } from './supervised-app';

/** Waits for `predicate` on the app's state changes (or now), with a generous deadline. */
function when(changes: { listeners: (() => void)[] }, predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  if (predicate()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not within ${timeoutMs} ms`)), timeoutMs);
    const listener = () => {
      if (!predicate()) return;
      clearTimeout(timer);
      changes.listeners.splice(changes.listeners.indexOf(listener), 1);
      resolve();
    };
    changes.listeners.push(listener);
  });
}

async function poll<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('SupervisedApp', () => {
  let dir: string;
  let app: SupervisedApp | undefined;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'aico-supervised-'))));
  afterEach(async () => {
    await app?.stop();
    app = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function make(source: string, maxCrashesInARow: number, consoleDir = join(dir, 'logs')) {
    const script = join(dir, 'app.js');
    await writeFile(script, source);
    const changes = { listeners: [] as (() => void)[] };
    const { logger, lines } = captureLogger('supervisor');
    app = new SupervisedApp({
      name: 'gateway',
      script,
      env: { PATH: process.env['PATH'] },
      consoleLog: join(consoleDir, 'gateway.console.log'),
      consoleLogMaxBytes: 1024 * 1024,
      consoleLogFiles: 2,
      policy: new RestartPolicy({ initialDelayMs: 1, maxDelayMs: 5, stableAfterMs: 60_000, maxCrashesInARow }),
      stopTimeoutMs: 5_000,
      logger,
      onChange: () => [...changes.listeners].forEach((listener) => listener()),
    });
    return { app, changes, lines };
  }

  it('restarts an app that was ready once after every crash, past the crash limit, and says so in its status', async () => {
    const { app, changes } = await make('setInterval(() => {}, 1000);', 3);
    app.start();
    for (let crash = 1; crash <= 8; crash++) {
      await when(changes, () => app.state === SupervisedAppState.STARTING && app.pid !== undefined, `start ${crash}`);
      app.markReady(app.pid!);
      const pid = app.pid!;
      process.kill(pid, 'SIGKILL');
      await when(changes, () => app.state === SupervisedAppState.BACKOFF, `backoff after crash ${crash}`);
      expect(app.reason).toMatch(
        crash === 1
          ? /^crashed once \(last: signal SIGKILL\); restarting in 0 s$/
          : new RegExp(`^crashed ${crash} times in a row \\(last: signal SIGKILL\\); restarting in 0 s$`),
      );
    }
    await when(changes, () => app.state === SupervisedAppState.STARTING, 'the ninth start');
    expect(app.restarts).toBe(8);
  });

  it('gives up on an app that crashes in a loop before it was ever ready', async () => {
    const { app, changes } = await make('process.exit(78);', 3);
    app.start();
    await when(changes, () => app.state === SupervisedAppState.FAILED, 'giving up');
    expect(app.restarts).toBe(3);
    expect(app.reason).toMatch(/^gateway crashed 4 times in a row before it ever became ready \(last: exit code 78\)/);
  });

  it('runs the app with a stdin pipe and the supervised marker, and keeps its output in the console log', async () => {
    const { app } = await make(
      `const fs = require('fs'); const s = fs.fstatSync(0); console.log(JSON.stringify({ msg: 'started', supervised: process.env.AICO_SUPERVISED, stdinIsPipe: s.isFIFO() || s.isSocket() })); setInterval(() => {}, 1000);`,
      3,
    );
    app.start();
    const text = await poll(async () => {
      const content = await readFile(join(dir, 'logs', 'gateway.console.log'), 'utf8');
      return content.includes('started') ? content : undefined;
    }, 'the console log');
    expect(JSON.parse(text.trim())).toEqual({ msg: 'started', supervised: 'true', stdinIsPipe: true });
  });

  it('keeps the app running while its console log cannot be written, and writes it again, with the gap said, once it can', async () => {
    // A file where the log directory should be: every write fails, as on a full disk, until it is removed.
    await writeFile(join(dir, 'blocked'), '');
    const { app, lines } = await make(
      `let i = 0; setInterval(() => console.log(JSON.stringify({ msg: 'line ' + i++ })), 20);`,
      3,
      join(dir, 'blocked', 'logs'),
    );
    app.start();
    await poll(
      async () => (lines.some((line) => /cannot be written \(ENOTDIR\)/.test(line.msg)) ? true : undefined),
      'the supervisor saying the console log cannot be written',
    );
    await rm(join(dir, 'blocked'));
    const text = await poll(async () => {
      const content = await readFile(join(dir, 'blocked', 'logs', 'gateway.console.log'), 'utf8');
      return /writable again/.test(content) ? content : undefined;
    }, 'the console log written again');
    const notice = text.split('\n').find((line) => line.includes('writable again'))!;
    expect(JSON.parse(notice)).toMatchObject({ service: 'supervisor', app: 'gateway', dropped: expect.any(Number) });
    expect(app.state).toBe(SupervisedAppState.STARTING);
    expect(app.restarts).toBe(0);
  });
});

describe('appEnvironment', () => {
  const env = { PATH: '/usr/bin', AICO_DATA_DIR: '/data' };

  it('caps glibc malloc arenas at two for a service on Linux, and marks it supervised', () => {
    expect(appEnvironment('storage', env, 'linux')).toEqual({ ...env, MALLOC_ARENA_MAX: '2', AICO_SUPERVISED: 'true' });
  });

  it('leaves the models app, a user setting and other systems alone', () => {
    expect(appEnvironment('models', env, 'linux')['MALLOC_ARENA_MAX']).toBeUndefined();
    expect(appEnvironment('gateway', { ...env, MALLOC_ARENA_MAX: '8' }, 'linux')['MALLOC_ARENA_MAX']).toBe('8');
    expect(appEnvironment('gateway', env, 'darwin')).toEqual({ ...env, AICO_SUPERVISED: 'true' });
    expect(appEnvironment('gateway', env, 'win32')['MALLOC_ARENA_MAX']).toBeUndefined();
  });
});
