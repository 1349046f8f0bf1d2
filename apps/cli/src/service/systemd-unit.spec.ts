// The systemd user unit: its settings, how awkward paths and values are escaped, and the real
// `systemd-analyze --user verify` reading a generated unit whose ExecStart names real files in such paths.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeService, type ServiceDefinitionInput } from './service-definition';
import { ServiceErrorCode } from './service.error';
import { renderSystemdUnit } from './systemd-unit';

const input: ServiceDefinitionInput = {
  platform: 'linux',
  nodePath: '/usr/local/bin/node',
  entryPoint: '/opt/aico/dist/apps/supervisor/apps/supervisor/src/main.js',
  dataDir: '/home/ada/.local/share/aico',
  homeDir: '/home/ada',
};

/** The value of every `Key=` line of a section, in order. */
function settings(unit: string, section: string): [string, string][] {
  const lines = unit.split('\n');
  const start = lines.indexOf(`[${section}]`);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = lines.findIndex((line, index) => index > start && line.startsWith('['));
  return lines
    .slice(start + 1, end < 0 ? undefined : end)
    .filter((line) => line.includes('=') && !line.startsWith('#'))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
}

describe('renderSystemdUnit', () => {
  it('runs node with the supervisor under the production profile, restarts on failure and stops it gently', () => {
    const unit = renderSystemdUnit(describeService({ ...input, masterKeyFile: '/home/ada/.config/aico/master.key' }));
    expect(settings(unit, 'Unit')).toEqual([
      ['Description', 'aico, the local-first AI companion: the supervisor that starts and stops its processes'],
      ['StartLimitIntervalSec', '300'],
      ['StartLimitBurst', '5'],
    ]);
    const service = settings(unit, 'Service');
    expect(service).toEqual(
      expect.arrayContaining([
        ['Type', 'simple'],
        ['ExecStart', '"/usr/local/bin/node" "/opt/aico/dist/apps/supervisor/apps/supervisor/src/main.js"'],
        ['WorkingDirectory', '/home/ada/.local/share/aico'],
        ['Restart', 'on-failure'],
        ['RestartSec', '5'],
        ['RestartPreventExitStatus', '78'],
        ['KillSignal', 'SIGTERM'],
        ['KillMode', 'mixed'],
        ['TimeoutStopSec', '90'],
        ['UMask', '0077'],
        ['NoNewPrivileges', 'yes'],
      ]),
    );
    expect(service.filter(([key]) => key === 'Environment').map(([, value]) => value)).toEqual([
      '"AICO_PROFILE=production"',
      '"AICO_DATA_DIR=/home/ada/.local/share/aico"',
      '"AICO_MASTER_KEY_FILE=/home/ada/.config/aico/master.key"',
      '"AICO_SUPERVISOR__FORWARD_OUTPUT=false"',
    ]);
    // V8 writes executable memory; a unit with this setting would crash node at start.
    expect(unit).not.toContain('MemoryDenyWriteExecute');
    expect(settings(unit, 'Install')).toEqual([['WantedBy', 'default.target']]);
  });

  it('leaves AICO_MASTER_KEY_FILE out when there is no key file (the keychain is used)', () => {
    expect(renderSystemdUnit(describeService(input))).not.toContain('AICO_MASTER_KEY_FILE');
  });

  it('escapes specifiers, variables, quotes and backslashes in each setting the way systemd reads it back', () => {
    const unit = renderSystemdUnit(
      describeService({
        ...input,
        nodePath: '/opt/node 20 $HOME 100%/bin/node',
        entryPoint: '/srv/my "aico" $HOME 50%\\x/main.js',
        dataDir: '/srv/data "q" $X 7%\\y',
      }),
    );
    const service = Object.fromEntries(settings(unit, 'Service').filter(([key]) => key !== 'Environment'));
    // The executable: specifiers only (systemd neither unescapes nor expands variables in it).
    // Later arguments: C escapes, %% and $$.
    expect(service['ExecStart']).toBe('"/opt/node 20 $HOME 100%%/bin/node" "/srv/my \\"aico\\" $$HOME 50%%\\\\x/main.js"');
    // WorkingDirectory= is taken as is, apart from specifiers.
    expect(service['WorkingDirectory']).toBe('/srv/data "q" $X 7%%\\y');
    // Environment= unescapes and expands specifiers, but no variables.
    expect(unit).toContain('Environment="AICO_DATA_DIR=/srv/data \\"q\\" $X 7%%\\\\y"');
  });

  it('refuses what a unit cannot hold: relative paths, line breaks, and quotes or backslashes in the executable', () => {
    const code = (override: Partial<ServiceDefinitionInput>) => {
      try {
        describeService({ ...input, ...override });
        return 'accepted';
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(code({ entryPoint: 'dist/apps/supervisor/apps/supervisor/src/main.js' })).toBe(ServiceErrorCode.InvalidDefinition);
    expect(code({ dataDir: '/home/ada/aico\nExecStartPre=/bin/rm -rf /' })).toBe(ServiceErrorCode.InvalidDefinition);
    expect(code({ nodePath: '/opt/"node"/bin/node' })).toBe(ServiceErrorCode.InvalidDefinition);
    expect(code({ nodePath: '/opt/node\\20/bin/node' })).toBe(ServiceErrorCode.InvalidDefinition);
    expect(code({ masterKeyFile: 'master.key' })).toBe(ServiceErrorCode.InvalidDefinition);
    expect(code({ dataDir: '/srv/data "q" $X 7%\\y' })).toBe('accepted');
  });
});

describe('systemd-analyze --user verify', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aico-unit-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the real verifier on `unit` saved as aico.service; its own runtime directory stands in for a login's. */
  async function verify(unit: string): Promise<{ status: number | null; output: string }> {
    const unitDir = await mkdtemp(join(dir, 'unit-'));
    const runtimeDir = join(unitDir, 'runtime');
    await mkdir(runtimeDir, { mode: 0o700 });
    await writeFile(join(unitDir, 'aico.service'), unit);
    const result = spawnSync('/usr/bin/systemd-analyze', ['--user', '--man=no', 'verify', join(unitDir, 'aico.service')], {
      env: { PATH: process.env['PATH'], XDG_RUNTIME_DIR: runtimeDir, SYSTEMD_LOG_COLOR: '0' },
      encoding: 'utf8',
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
  }

  it('accepts the unit without a warning, with ExecStart pointing at a real node and main.js in awkward paths', async () => {
    // Spaces, $ and % in the executable's path; quotes and a backslash too in the script's and the data directory's.
    const binDir = join(dir, 'node 20 $HOME 100%');
    const appDir = join(dir, 'my "aico" $HOME 50%\\x');
    await mkdir(binDir, { recursive: true });
    await mkdir(appDir, { recursive: true });
    await symlink(process.execPath, join(binDir, 'node'));
    await writeFile(join(appDir, 'main.js'), '');
    const definition = describeService({
      ...input,
      nodePath: join(binDir, 'node'),
      entryPoint: join(appDir, 'main.js'),
      dataDir: appDir,
      masterKeyFile: join(appDir, 'master.key'),
    });

    expect(await verify(renderSystemdUnit(definition))).toEqual({ status: 0, output: '' });
  });

  it('fails a unit whose executable does not exist (so the check above would catch a wrongly escaped path)', async () => {
    const definition = describeService({ ...input, nodePath: join(dir, 'no such dir', 'node'), entryPoint: join(dir, 'main.js') });
    const result = await verify(renderSystemdUnit(definition));
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('is not executable');
  });

  it('fails a unit whose executable path was escaped the way later arguments are (%% and $$ doubled)', async () => {
    const binDir = join(dir, 'node 20 $HOME 100%');
    const unit = renderSystemdUnit(describeService({ ...input, nodePath: join(binDir, 'node'), entryPoint: join(dir, 'main.js') }));
    const overEscaped = unit.replace(/^ExecStart="([^"]*)"/m, (_, path: string) => `ExecStart="${path.replaceAll('$', '$$$$')}"`);
    expect(overEscaped).not.toBe(unit);
    expect((await verify(overEscaped)).status).not.toBe(0);
  });
});
