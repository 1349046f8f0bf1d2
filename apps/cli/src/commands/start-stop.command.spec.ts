// `aico start` and `aico stop` when the supervisor is gone but its apps still run: real node processes stand in for
// the orphaned apps (and for the supervisor), each with its pid file under <dataDir>/run as the real ones write it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { baseConfigSchema, loadConfig } from '@aico/config';
import { KeyManager } from '@aico/key-manager';
import { isAlive, writePidFile } from '@aico/pid-files';
import type { CliContext } from '../cli-context';
import { ExitCode, toCliError } from '../exit-codes';
import { DEFAULT_STOP_TIMINGS, type StopTimings } from '../orphaned-apps';
import { registerStartStop } from './start-stop.command';

interface StandIn {
  readonly child: ChildProcess;
  readonly script: string;
  readonly exited: Promise<NodeJS.Signals | number | null>;
}

describe('aico start / stop with apps left running without a supervisor', () => {
  let dir: string;
  let dataDir: string;
  let context: CliContext;
  let out: string[];
  let progress: string[];
  let errors: string[];
  const standIns: StandIn[] = [];

  /** A node process running its own script file (what the pid file names); resolves once it is listening for signals. */
  async function standIn(name: string, body: string): Promise<StandIn> {
    const script = join(dir, `${name}.stand-in.js`);
    await writeFile(script, `${body}\nsetInterval(() => undefined, 60_000);\nconsole.log('ready');\n`);
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', () => resolve());
      child.once('exit', () => reject(new Error(`stand-in ${name} exited before it was ready`)));
    });
    const running = { child, script, exited };
    standIns.push(running);
    return running;
  }

  async function aico(args: string[], options: { supervisorScript?: string; orphanTimings?: StopTimings } = {}): Promise<ExitCode> {
    const program = new Command('aico').exitOverride();
    registerStartStop(program, () => context, {
      supervisorScript: options.supervisorScript ?? join(dir, 'no-supervisor.js'),
      orphanTimings: options.orphanTimings ?? DEFAULT_STOP_TIMINGS,
    });
    try {
      await program.parseAsync(['node', 'aico', ...args]);
      return ExitCode.Ok;
    } catch (error) {
      const failure = toCliError(error);
      errors.push(failure.message);
      return failure.exitCode;
    }
  }

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aico-orphans-'));
    dataDir = join(dir, 'data');
    const { config } = loadConfig({ schema: baseConfigSchema, env: { AICO_DATA_DIR: dataDir } });
    out = [];
    progress = [];
    errors = [];
    context = { config, keyManager: new KeyManager({ dataDir }), out: (line) => out.push(line), progress: (line) => progress.push(line) };
  });
  afterEach(async () => {
    for (const { child } of standIns.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('stop finds orphaned apps by their pid files, says so, and stops them with SIGTERM', async () => {
    const bus = await standIn('bus', '');
    const keys = await standIn('keys', '');
    await writePidFile(dataDir, 'bus', { pid: bus.child.pid!, script: bus.script, startedAt: new Date().toISOString() });
    await writePidFile(dataDir, 'keys', { pid: keys.child.pid!, script: keys.script, startedAt: new Date().toISOString() });

    expect(await aico(['stop'])).toBe(ExitCode.Ok);
    expect(await bus.exited).toBe('SIGTERM');
    expect(await keys.exited).toBe('SIGTERM');
    expect(progress[0]).toBe(
      `The supervisor is not running: aico apps are running without their supervisor: bus (pid ${bus.child.pid}), keys (pid ${keys.child.pid}). Stopping them (SIGTERM, then SIGKILL after 60 s) ...`,
    );
    expect(out).toEqual(['aico stopped: 2 apps had been left running without a supervisor.']);
    expect(await readdir(join(dataDir, 'run'))).toEqual([]);
    expect(await aico(['stop'])).toBe(ExitCode.Ok);
    expect(out.at(-1)).toBe('aico is not running.');
  });

  it('stop kills an orphan that ignores SIGTERM once its grace period is over', async () => {
    const storage = await standIn('storage', "process.on('SIGTERM', () => undefined);");
    await writePidFile(dataDir, 'storage', { pid: storage.child.pid!, script: storage.script, startedAt: new Date().toISOString() });
    // The stand-in ignores SIGTERM for good: a short grace period decides nothing but how long the test waits.
    expect(await aico(['stop'], { orphanTimings: { ...DEFAULT_STOP_TIMINGS, graceMs: 300 } })).toBe(ExitCode.Ok);
    expect(await storage.exited).toBe('SIGKILL');
    expect(progress).toContain(`Killed (they did not stop within 0.3 s): storage (pid ${storage.child.pid}).`);
    expect(out).toEqual(['aico stopped: 1 app had been left running without a supervisor.']);
  });

  it('never signals a pid whose process is not the script its file names (a reused pid), and drops that file', async () => {
    const unrelated = await standIn('unrelated', "process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(3); });");
    let signalled = false;
    createInterface({ input: unrelated.child.stdout! }).on('line', (line) => (signalled ||= line === 'got SIGTERM'));
    await writePidFile(dataDir, 'gateway', { pid: unrelated.child.pid!, script: join(dir, 'gateway', 'main.js'), startedAt: new Date().toISOString() });
    await writePidFile(dataDir, 'monitor', { pid: 999_999_999, script: join(dir, 'monitor', 'main.js'), startedAt: new Date().toISOString() });

    expect(await aico(['stop'])).toBe(ExitCode.Ok);
    expect(out).toEqual(['aico is not running.']);
    expect(isAlive(unrelated.child.pid!)).toBe(true);
    expect(signalled).toBe(false);
    expect(await readdir(join(dataDir, 'run'))).toEqual([]);
  });

  it('start cleans up orphaned apps first, saying what it stopped, then starts the supervisor', async () => {
    const monitor = await standIn('monitor', '');
    await writePidFile(dataDir, 'monitor', { pid: monitor.child.pid!, script: monitor.script, startedAt: new Date().toISOString() });
    // A stand-in supervisor that reports whether the orphan was still alive when it started, and ends.
    const supervisor = join(dir, 'supervisor.stand-in.js');
    const report = join(dir, 'supervisor-saw.json');
    await writeFile(
      supervisor,
      `let alive = true; try { process.kill(${monitor.child.pid}, 0); } catch { alive = false; }\nrequire('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({ alive }));\n`,
    );

    expect(await aico(['start'], { supervisorScript: supervisor })).toBe(ExitCode.Ok);
    expect(await monitor.exited).toBe('SIGTERM');
    expect(progress).toEqual([
      `Before starting: aico apps are running without their supervisor: monitor (pid ${monitor.child.pid}). Stopping them (SIGTERM, then SIGKILL after 60 s) ...`,
      'Cleaned up 1 aico app left running without a supervisor.',
    ]);
    expect(JSON.parse(await readFile(report, 'utf8'))).toEqual({ alive: false });
  });

  it('stop asks a running supervisor to stop (its pid file under run/, or the one an earlier version kept in the data directory)', async () => {
    for (const legacy of [false, true]) {
      const supervisor = await standIn(`supervisor-${legacy ? 'legacy' : 'current'}`, '');
      if (legacy) await writeFile(join(dataDir, 'supervisor.pid'), JSON.stringify({ pid: supervisor.child.pid, startedAt: new Date().toISOString() }));
      else await writePidFile(dataDir, 'supervisor', { pid: supervisor.child.pid!, script: supervisor.script, startedAt: new Date().toISOString() });
      out = [];
      expect(await aico(['start'], { supervisorScript: supervisor.script })).toBe(ExitCode.TryLater);
      expect(errors.at(-1)).toBe(`aico is already running for ${dataDir} (supervisor pid ${supervisor.child.pid}).`);
      expect(await aico(['stop'], { supervisorScript: supervisor.script })).toBe(ExitCode.Ok);
      expect(await supervisor.exited).toBe('SIGTERM');
      expect(out).toEqual(['aico stopped.']);
    }
  });
});
