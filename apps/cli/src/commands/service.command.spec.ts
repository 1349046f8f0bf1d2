// `aico service` with a scripted stand-in for systemctl, launchctl and sc.exe: which commands each subcommand runs,
// in which order, what it writes under a temporary home, what it prints, and the exit code of every failure.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { baseConfigSchema, loadConfig } from '@aico/config';
import { KeyManager } from '@aico/key-manager';
import type { CliContext } from '../cli-context';
import { createProgram, runCli } from '../cli-program';
import { ExitCode, toCliError } from '../exit-codes';
import { FakeRunner, LAUNCHCTL_PRINT, failed, missing, ok } from '../service/command-runner.test-helpers';
import { renderLaunchdPlist } from '../service/launchd-plist';
import { describeService } from '../service/service-definition';
import { type ServiceHost } from '../service/service-manager';
import { supervisorEntryPointBeside } from '../supervisor-process';
import { renderSystemdUnit } from '../service/systemd-unit';
import { parsePlist } from '../service/xml-reader.test-helpers';
import { registerService } from './service.command';

describe('aico service', () => {
  let dir: string;
  let home: string;
  let dataDir: string;
  let supervisor: string;
  let keyFile: string;
  let out: string[];
  let progress: string[];
  let errors: string[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aico-service-'));
    home = join(dir, 'home');
    dataDir = join(dir, 'data dir');
    supervisor = join(dir, 'dist', 'apps', 'supervisor', 'apps', 'supervisor', 'src', 'main.js');
    keyFile = join(dir, 'master.key');
    await mkdir(join(supervisor, '..'), { recursive: true });
    await writeFile(supervisor, '');
    await mkdir(home);
    out = [];
    progress = [];
    errors = [];
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function context(env: NodeJS.ProcessEnv = { AICO_MASTER_KEY_FILE: keyFile }): CliContext {
    const { config } = loadConfig({ schema: baseConfigSchema, env: { AICO_DATA_DIR: dataDir, ...env } });
    return { config, keyManager: new KeyManager({ dataDir: config.dataDir }), out: (line) => out.push(line), progress: (line) => progress.push(line) };
  }

  function host(runner: FakeRunner, platform: NodeJS.Platform = 'linux'): ServiceHost {
    return { platform, homeDir: home, uid: 501, nodePath: process.execPath, supervisorEntryPoint: supervisor, run: runner.run };
  }

  /** Runs `aico service ...` the way runCli does (same exit-code mapping), with the stand-in host. */
  async function aico(args: string[], machine: ServiceHost, cli: CliContext = context()): Promise<ExitCode> {
    const program = new Command('aico').exitOverride().configureOutput({ writeErr: (text) => void errors.push(text), writeOut: (text) => void out.push(text) });
    registerService(
      program,
      () => cli,
      () => machine,
    );
    try {
      await program.parseAsync(['node', 'aico', 'service', ...args]);
      return ExitCode.Ok;
    } catch (error) {
      if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
      const failure = toCliError(error);
      errors.push(failure.message);
      return failure.exitCode;
    }
  }

  const unitPath = () => join(home, '.config', 'systemd', 'user', 'aico.service');
  const plistPath = () => join(home, 'Library', 'LaunchAgents', 'dev.aico.supervisor.plist');
  const expectedUnit = (overrides: { nodePath?: string } = {}) =>
    renderSystemdUnit(
      describeService({
        platform: 'linux',
        nodePath: overrides.nodePath ?? process.execPath,
        entryPoint: supervisor,
        dataDir,
        masterKeyFile: keyFile,
        homeDir: home,
      }),
    );

  describe('on Linux (systemd)', () => {
    const running = () => ok('running\n');

    it('writes the unit, reloads systemd and enables and starts it', async () => {
      const runner = new FakeRunner({
        'systemctl --user is-system-running': running(),
        'systemctl --user daemon-reload': ok(),
        'systemctl --user enable --now aico.service': ok(),
      });
      expect(await aico(['install'], host(runner))).toBe(ExitCode.Ok);
      expect(runner.calls).toEqual(['systemctl --user is-system-running', 'systemctl --user daemon-reload', 'systemctl --user enable --now aico.service']);
      expect(await readFile(unitPath(), 'utf8')).toBe(expectedUnit());
      // The unit's WorkingDirectory: systemd refuses to start a service whose working directory is missing.
      expect(existsSync(dataDir)).toBe(true);
      expect(out[0]).toBe(`Wrote ${unitPath()}.`);
      expect(out.join('\n')).toContain('Enabled and started aico.service.');
      expect(out.join('\n')).toContain('loginctl enable-linger');
    });

    it('restarts a service whose definition changed, and leaves an unchanged one to enable --now', async () => {
      const script = () => ({
        'systemctl --user is-system-running': ok('degraded\n'),
        'systemctl --user daemon-reload': ok(),
        'systemctl --user enable --now aico.service': ok(),
        'systemctl --user enable aico.service': ok(),
        'systemctl --user restart aico.service': ok(),
      });
      const first = new FakeRunner(script());
      expect(await aico(['install'], host(first))).toBe(ExitCode.Ok);
      const again = new FakeRunner(script());
      expect(await aico(['install'], host(again))).toBe(ExitCode.Ok);
      expect(again.calls.slice(1)).toEqual(['systemctl --user daemon-reload', 'systemctl --user enable --now aico.service']);
      expect(out).toContain(`Kept (unchanged) ${unitPath()}.`);

      const otherNode = join(dir, 'node');
      await writeFile(otherNode, '');
      const changed = new FakeRunner(script());
      expect(await aico(['install', '--node', otherNode], host(changed))).toBe(ExitCode.Ok);
      expect(changed.calls.slice(1)).toEqual([
        'systemctl --user daemon-reload',
        'systemctl --user enable aico.service',
        'systemctl --user restart aico.service',
      ]);
      expect(await readFile(unitPath(), 'utf8')).toBe(expectedUnit({ nodePath: otherNode }));
    });

    it('with --no-start only enables the unit', async () => {
      const runner = new FakeRunner({
        'systemctl --user is-system-running': running(),
        'systemctl --user daemon-reload': ok(),
        'systemctl --user enable aico.service': ok(),
      });
      expect(await aico(['install', '--no-start'], host(runner))).toBe(ExitCode.Ok);
      expect(runner.calls.at(-1)).toBe('systemctl --user enable aico.service');
      expect(out.join('\n')).toContain('starts at your next login');
    });

    it('says how to run aico without a service when systemctl is missing (69), and writes nothing', async () => {
      const runner = new FakeRunner({ 'systemctl --user is-system-running': missing });
      expect(await aico(['install'], host(runner))).toBe(ExitCode.Unavailable);
      expect(errors.join('')).toContain(
        'systemctl is not installed, so aico cannot be a systemd service here. Run it in the foreground instead: AICO_PROFILE=production',
      );
      expect(errors.join('')).toContain(supervisor);
      expect(existsSync(unitPath())).toBe(false);
    });

    it('says there is no user manager (69) where systemctl --user cannot reach one, such as under su', async () => {
      const runner = new FakeRunner({ 'systemctl --user is-system-running': failed(1, 'Failed to connect to bus: No medium found', 'offline\n') });
      expect(await aico(['install'], host(runner))).toBe(ExitCode.Unavailable);
      expect(errors.join('')).toContain('There is no systemd user manager for this session (systemctl --user: Failed to connect to bus: No medium found)');
      expect(existsSync(unitPath())).toBe(false);
    });

    it('reports a refused step with its command and message (1)', async () => {
      const runner = new FakeRunner({
        'systemctl --user is-system-running': running(),
        'systemctl --user daemon-reload': ok(),
        'systemctl --user enable --now aico.service': failed(1, 'Job for aico.service failed because the control process exited with error code.'),
      });
      expect(await aico(['install'], host(runner))).toBe(ExitCode.Failure);
      expect(errors.join('')).toContain('"systemctl --user enable --now aico.service" failed (exit code 1): Job for aico.service failed');
    });

    it('refuses when the supervisor is not built (66), before any systemctl', async () => {
      const runner = new FakeRunner({});
      expect(await aico(['install', '--supervisor', join(dir, 'nowhere', 'main.js')], host(runner))).toBe(ExitCode.NoInput);
      expect(errors.join('')).toContain('The supervisor is not built');
      expect(runner.calls).toEqual([]);
    });

    it('refuses to start a service that would find no master key (66); with --no-start it warns and installs', async () => {
      const script = { 'systemctl --user is-system-running': running(), 'systemctl --user daemon-reload': ok(), 'systemctl --user enable aico.service': ok() };
      const refused = new FakeRunner(script);
      expect(await aico(['install'], host(refused), context({}))).toBe(ExitCode.NoInput);
      expect(errors.join('')).toContain('aico is not set up, so the service would find no master key');
      expect(refused.calls).toEqual([]);

      const deferred = new FakeRunner(script);
      expect(await aico(['install', '--no-start'], host(deferred), context({}))).toBe(ExitCode.Ok);
      expect(progress.join('\n')).toContain('Warning: aico is not set up');
      expect(await readFile(unitPath(), 'utf8')).not.toContain('AICO_MASTER_KEY_FILE');
    });

    it('uninstalls: stops and disables, removes the unit, reloads', async () => {
      await mkdir(join(unitPath(), '..'), { recursive: true });
      await writeFile(unitPath(), expectedUnit());
      const runner = new FakeRunner({
        'systemctl --user is-system-running': running(),
        'systemctl --user disable --now aico.service': ok(),
        'systemctl --user daemon-reload': ok(),
        'systemctl --user reset-failed aico.service': failed(1, 'Unit aico.service not loaded.'),
      });
      expect(await aico(['uninstall'], host(runner))).toBe(ExitCode.Ok);
      expect(runner.calls).toEqual([
        'systemctl --user is-system-running',
        'systemctl --user disable --now aico.service',
        'systemctl --user daemon-reload',
        'systemctl --user reset-failed aico.service',
      ]);
      expect(existsSync(unitPath())).toBe(false);
      expect(out).toEqual([`Stopped and disabled aico.service, removed ${unitPath()}.`]);
    });

    it('keeps the unit when it cannot be stopped (1), and says so when there is nothing to uninstall (0)', async () => {
      await mkdir(join(unitPath(), '..'), { recursive: true });
      await writeFile(unitPath(), expectedUnit());
      const refusing = new FakeRunner({
        'systemctl --user is-system-running': running(),
        'systemctl --user disable --now aico.service': failed(1, 'Access denied'),
      });
      expect(await aico(['uninstall'], host(refusing))).toBe(ExitCode.Failure);
      expect(existsSync(unitPath())).toBe(true);

      await rm(unitPath());
      const none = new FakeRunner({ 'systemctl --user is-system-running': running() });
      expect(await aico(['uninstall'], host(none))).toBe(ExitCode.Ok);
      expect(out.at(-1)).toBe(`aico is not installed as a service (no ${unitPath()}).`);
    });

    it('shows the status from systemctl show, as text and JSON', async () => {
      await mkdir(join(unitPath(), '..'), { recursive: true });
      await writeFile(unitPath(), expectedUnit());
      const show = 'LoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\nMainPID=4242\nNRestarts=0\nExecMainStatus=0\n';
      const property = 'systemctl --user show aico.service --property=LoadState,ActiveState,SubState,UnitFileState,MainPID,NRestarts,ExecMainStatus';
      const runner = new FakeRunner({ [property]: [ok(show), ok(show)] });
      expect(await aico(['status'], host(runner))).toBe(ExitCode.Ok);
      expect(out).toEqual([
        'manager    systemd (user)',
        `installed  yes (${unitPath()})`,
        'state      LoadState=loaded ActiveState=active SubState=running UnitFileState=enabled MainPID=4242 NRestarts=0 ExecMainStatus=0',
        'running    yes',
        'logs       journalctl --user -u aico.service',
      ]);
      out = [];
      expect(await aico(['status', '--json'], host(runner))).toBe(ExitCode.Ok);
      expect(JSON.parse(out.join('\n'))).toEqual(
        expect.objectContaining({ platform: 'linux', installed: true, running: true, state: expect.objectContaining({ MainPID: '4242' }) }),
      );
    });

    it('prints what it knows and exits 69 when systemctl cannot be asked', async () => {
      const runner = new FakeRunner({
        'systemctl --user show aico.service --property=LoadState,ActiveState,SubState,UnitFileState,MainPID,NRestarts,ExecMainStatus': missing,
      });
      expect(await aico(['status'], host(runner))).toBe(ExitCode.Unavailable);
      expect(out).toContain(`installed  no (no ${unitPath()})`);
      expect(out).toContain('state      unknown: systemctl is not installed');
    });
  });

  describe('on macOS (launchd)', () => {
    const target = 'gui/501/dev.aico.supervisor';

    it('writes the agent, makes its log directory and bootstraps it into the login domain', async () => {
      const runner = new FakeRunner({
        [`launchctl print ${target}`]: failed(113, `Could not find service "dev.aico.supervisor" in domain for user gui: 501`),
        [`launchctl enable ${target}`]: ok(),
        [`launchctl bootstrap gui/501 ${plistPath()}`]: ok(),
      });
      expect(await aico(['install'], host(runner, 'darwin'))).toBe(ExitCode.Ok);
      expect(runner.calls).toEqual([`launchctl print ${target}`, `launchctl enable ${target}`, `launchctl bootstrap gui/501 ${plistPath()}`]);
      const plist = parsePlist(await readFile(plistPath(), 'utf8')) as Record<string, unknown>;
      expect(plist['ProgramArguments']).toEqual([process.execPath, supervisor]);
      expect(existsSync(join(home, 'Library', 'Logs', 'aico'))).toBe(true);
    });

    it('reloads a loaded agent whose definition changed, and leaves an unchanged one alone', async () => {
      await mkdir(join(plistPath(), '..'), { recursive: true });
      await writeFile(plistPath(), 'an older definition');
      const reload = new FakeRunner({
        [`launchctl print ${target}`]: ok(LAUNCHCTL_PRINT),
        [`launchctl bootout ${target}`]: ok(),
        [`launchctl enable ${target}`]: ok(),
        [`launchctl bootstrap gui/501 ${plistPath()}`]: ok(),
      });
      expect(await aico(['install'], host(reload, 'darwin'))).toBe(ExitCode.Ok);
      expect(reload.calls).toEqual([
        `launchctl print ${target}`,
        `launchctl bootout ${target}`,
        `launchctl enable ${target}`,
        `launchctl bootstrap gui/501 ${plistPath()}`,
      ]);

      const unchanged = new FakeRunner({ [`launchctl print ${target}`]: ok(LAUNCHCTL_PRINT) });
      expect(await aico(['install'], host(unchanged, 'darwin'))).toBe(ExitCode.Ok);
      expect(unchanged.calls).toEqual([`launchctl print ${target}`]);
      expect(out).toContain('dev.aico.supervisor is already loaded with this definition.');
    });

    it('says so (69) when there is no login session to load an agent into, as over SSH', async () => {
      const runner = new FakeRunner({ [`launchctl print ${target}`]: failed(125, 'Bad request.\nCould not find domain for user gui: 501') });
      expect(await aico(['install'], host(runner, 'darwin'))).toBe(ExitCode.Unavailable);
      expect(errors.join('')).toContain("launchctl cannot reach your login session's domain gui/501 (Bad request. / Could not find domain for user gui: 501)");
      expect(existsSync(plistPath())).toBe(false);
    });

    it('uninstalls: boots the agent out and removes it; reports its state from launchctl print', async () => {
      await mkdir(join(plistPath(), '..'), { recursive: true });
      await writeFile(
        plistPath(),
        renderLaunchdPlist(describeService({ platform: 'darwin', nodePath: process.execPath, entryPoint: supervisor, dataDir, homeDir: home })),
      );
      const status = new FakeRunner({ [`launchctl print ${target}`]: ok(LAUNCHCTL_PRINT) });
      expect(await aico(['status', '--json'], host(status, 'darwin'))).toBe(ExitCode.Ok);
      expect(JSON.parse(out.join('\n'))).toEqual(
        expect.objectContaining({ installed: true, running: true, state: { state: 'running', runs: '2', pid: '4242', 'last exit code': '1' } }),
      );

      const runner = new FakeRunner({ [`launchctl print ${target}`]: ok(LAUNCHCTL_PRINT), [`launchctl bootout ${target}`]: ok() });
      expect(await aico(['uninstall'], host(runner, 'darwin'))).toBe(ExitCode.Ok);
      expect(runner.calls).toEqual([`launchctl print ${target}`, `launchctl bootout ${target}`]);
      expect(existsSync(plistPath())).toBe(false);
    });
  });

  describe('on Windows', () => {
    it('reports the registered service from sc.exe query, and refuses to remove the files of a registered one', async () => {
      const query = `\r\nSERVICE_NAME: aico \r\n        TYPE               : 10  WIN32_OWN_PROCESS  \r\n        STATE              : 4  RUNNING \r\n`;
      const runner = new FakeRunner({ 'sc.exe query aico': [ok(query), ok(query)] });
      const windows = context({ AICO_DATA_DIR: 'C:\\Users\\Ada\\AppData\\Roaming\\aico', AICO_MASTER_KEY_FILE: keyFile });
      expect(await aico(['status', '--json'], host(runner, 'win32'), windows)).toBe(ExitCode.Ok);
      expect(JSON.parse(out.join('\n'))).toEqual(
        expect.objectContaining({ running: true, state: expect.objectContaining({ SERVICE_NAME: 'aico', STATE: '4  RUNNING' }) }),
      );
      expect(await aico(['uninstall'], host(runner, 'win32'), windows)).toBe(ExitCode.Failure);
      expect(errors.join('')).toContain('C:\\Users\\Ada\\AppData\\Roaming\\aico\\service\\uninstall-aico-service.cmd');
    });
  });

  describe('--print', () => {
    it("prints another platform's files without touching this machine", async () => {
      const runner = new FakeRunner({});
      const args = [
        'install',
        '--print',
        '--platform',
        'darwin',
        '--node',
        '/opt/homebrew/bin/node',
        '--supervisor',
        '/Users/ada/aico/main.js',
        '--data-dir',
        '/Users/ada/aico-data',
      ];
      expect(await aico(args, host(runner))).toBe(ExitCode.Ok);
      expect(parsePlist(out.join('\n'))).toEqual(
        expect.objectContaining({ ProgramArguments: ['/opt/homebrew/bin/node', '/Users/ada/aico/main.js'], WorkingDirectory: '/Users/ada/aico-data' }),
      );
      expect(runner.calls).toEqual([]);
      expect(existsSync(plistPath())).toBe(false);
      expect(existsSync(dataDir)).toBe(false);
    });

    it('prints the three Windows files under headers, and warns when paths are this machine', async () => {
      const runner = new FakeRunner({});
      expect(await aico(['install', '--print', '--platform', 'win32', '--data-dir', 'D:\\aico'], host(runner))).toBe(ExitCode.Ok);
      expect(out.filter((line) => line.startsWith('==> '))).toEqual([
        '==> D:\\aico\\service\\aico-service.xml <==',
        '==> D:\\aico\\service\\install-aico-service.cmd <==',
        '==> D:\\aico\\service\\uninstall-aico-service.cmd <==',
      ]);
      expect(progress.join('\n')).toContain("are this linux machine's");
    });

    it('refuses an unknown platform, and another platform without --print (64)', async () => {
      expect(await aico(['install', '--platform', 'beos', '--print'], host(new FakeRunner({})))).toBe(ExitCode.Usage);
      expect(errors.join('')).toContain('--platform takes linux, darwin, win32, not "beos"');
      expect(await aico(['install', '--platform', 'darwin'], host(new FakeRunner({})))).toBe(ExitCode.Usage);
      expect(errors.join('')).toContain('files for darwin can only be printed: add --print');
    });
  });

  it('is part of the aico command tree, and --print runs through runCli', async () => {
    expect(createProgram(() => context()).commands.map((command) => command.name())).toContain('service');
    const cli = context();
    const code = await runCli(
      ['node', 'aico', 'service', 'install', '--print', '--platform', 'linux', '--supervisor', supervisor],
      () => cli,
      (text) => void errors.push(text),
    );
    expect(code).toBe(ExitCode.Ok);
    expect(out.join('\n')).toContain(`ExecStart="${process.execPath}" "${supervisor}"`);
  });

  it("finds the supervisor's build beside the CLI's", () => {
    expect(supervisorEntryPointBeside('/repo/dist/apps/cli/apps/cli/src')).toBe('/repo/dist/apps/supervisor/apps/supervisor/src/main.js');
  });
});
