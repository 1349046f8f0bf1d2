import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { baseConfigSchema } from './base-config.schema';
import { ConfigErrorCode, envNameToPath, loadConfig } from './config-loader';
import { configList } from './config-values';
import { platformDataDir } from './data-dir';

describe('loadConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aico-config-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('fills every default from the schema and freezes the result', () => {
    const { config, file } = loadConfig({ schema: baseConfigSchema, env: { AICO_DATA_DIR: dir } });
    expect(file).toBeUndefined();
    expect(config.profile).toBe('development');
    expect(config.bus.publishEndpoint).toBe('tcp://127.0.0.1:5555');
    expect(config.bus.subscribeEndpoint).toBe('tcp://127.0.0.1:5556');
    expect(config.bus.sendHighWaterMark).toBe(10_000);
    expect(config.log.level).toBe('info');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.bus)).toBe(true);
  });

  it('layers defaults, then the YAML file, then AICO_* environment variables', async () => {
    const file = join(dir, 'config.yaml');
    await writeFile(file, 'bus:\n  publishEndpoint: ipc:///tmp/from-file.sock\n  requestTimeoutMs: 900\nlog:\n  level: debug\n');
    const { config } = loadConfig({
      schema: baseConfigSchema,
      env: { AICO_DATA_DIR: dir, AICO_BUS__REQUEST_TIMEOUT_MS: '1200', AICO_LOG__FILE: 'false', AICO_MASTER_KEY_FILE: '/run/key' },
    });
    expect(config.bus.publishEndpoint).toBe('ipc:///tmp/from-file.sock');
    expect(config.bus.requestTimeoutMs).toBe(1200);
    expect(config.log.level).toBe('debug');
    expect(config.log.file).toBe(false);
    expect(config.masterKeyFile).toBe('/run/key');
  });

  it("shares one file between apps: other apps' sections are left alone, unknown keys still fail", async () => {
    const file = join(dir, 'config.yaml');
    await writeFile(file, 'gateway:\n  port: 9443\nstorage:\n  maxValueBytes: 10\nlog:\n  level: warn\n');
    expect(loadConfig({ schema: baseConfigSchema, env: { AICO_DATA_DIR: dir } }).config.log.level).toBe('warn');
    const gatewaySchema = baseConfigSchema.extend({
      gateway: z
        .object({ port: z.coerce.number().default(8443) })
        .strict()
        .prefault({}),
    });
    expect(loadConfig({ schema: gatewaySchema, env: { AICO_DATA_DIR: dir } }).config.gateway.port).toBe(9443);
    await writeFile(file, 'gateway:\n  port: 9443\nlogg:\n  level: warn\n');
    expect(() => loadConfig({ schema: baseConfigSchema, env: { AICO_DATA_DIR: dir } })).toThrow(expect.objectContaining({ code: ConfigErrorCode.Invalid }));
  });

  it('reads a JSON file named by AICO_CONFIG_FILE', async () => {
    const file = join(dir, 'custom.json');
    await writeFile(file, JSON.stringify({ profile: 'production' }));
    const loaded = loadConfig({ schema: baseConfigSchema, env: { AICO_CONFIG_FILE: file } });
    expect(loaded.file).toBe(file);
    expect(loaded.config.profile).toBe('production');
  });

  it('fails fast naming the key, where the value came from, and what is wrong', async () => {
    const file = join(dir, 'config.yaml');
    await writeFile(file, 'bus:\n  subscribeEndpoint: http://example\n  typoKey: 1\n');
    let message = '';
    try {
      loadConfig({ schema: baseConfigSchema, env: { AICO_DATA_DIR: dir, AICO_BUS__SEND_HIGH_WATER_MARK: 'lots' } });
    } catch (error) {
      expect(error).toMatchObject({ code: ConfigErrorCode.Invalid });
      message = (error as Error).message;
    }
    expect(message).toContain('bus.sendHighWaterMark (from AICO_BUS__SEND_HIGH_WATER_MARK)');
    expect(message).toContain(`bus.subscribeEndpoint (from ${file}): must be tcp://host:port`);
    expect(message).toContain(`bus.typoKey (from ${file}): is not a known setting`);
  });

  it('reports unreadable and unparsable files clearly', async () => {
    expect(() => loadConfig({ schema: baseConfigSchema, file: join(dir, 'nope.yaml') })).toThrow(
      expect.objectContaining({ code: ConfigErrorCode.FileUnreadable }),
    );
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, 'bus: [unclosed');
    expect(() => loadConfig({ schema: baseConfigSchema, file: bad })).toThrow(expect.objectContaining({ code: ConfigErrorCode.FileInvalid }));
    const scalar = join(dir, 'scalar.yaml');
    await writeFile(scalar, '42');
    expect(() => loadConfig({ schema: baseConfigSchema, file: scalar })).toThrow('must hold a mapping');
  });

  it('lists AICO_* variables that no setting of this schema uses, without failing', () => {
    const { unusedEnv } = loadConfig({
      schema: baseConfigSchema,
      env: { AICO_DATA_DIR: dir, AICO_GATEWAY__PORT: '8443', AICO_CONSTRUCTOR: 'x', AICO_BUS__TO_STRING: 'y' },
    });
    expect(unusedEnv).toEqual(['AICO_GATEWAY__PORT', 'AICO_CONSTRUCTOR', 'AICO_BUS__TO_STRING']);
  });

  it('supports app sections and comma-separated lists from the environment', () => {
    const schema = baseConfigSchema.extend({ extra: z.object({ names: configList(z.string()).default([]) }).prefault({}) });
    const { config } = loadConfig({ schema, env: { AICO_DATA_DIR: dir, AICO_EXTRA__NAMES: 'a, b,c' } });
    expect(config.extra.names).toEqual(['a', 'b', 'c']);
  });

  it('maps environment names to setting paths', () => {
    expect(envNameToPath('AICO_BUS__PUBLISH_ENDPOINT')).toEqual(['bus', 'publishEndpoint']);
    expect(envNameToPath('AICO_MASTER_KEY_FILE')).toEqual(['masterKeyFile']);
  });
});

describe('platformDataDir', () => {
  it('follows each platform convention', () => {
    expect(platformDataDir({ XDG_DATA_HOME: '/xdg' }, 'linux')).toBe('/xdg/aico');
    expect(platformDataDir({}, 'darwin')).toMatch(/Library\/Application Support\/aico$/);
    expect(platformDataDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32')).toContain('aico');
  });
});
