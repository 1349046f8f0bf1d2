// docker/: without a Docker engine here, the compose file and the Dockerfiles are checked against what the apps
// need: every app has a service built from its own multi-stage, non-root Dockerfile holding only its build and
// packages; the apps reach the bus service; each gets the master key secret and the volumes its data lives in; the
// gateway alone is published, on loopback; the environment parses as aico configuration. Where Debian's
// docker-compose (v1) is installed (.ci/run installs it), `docker-compose config` validates the file as well, and
// its reading of the YAML merge keys must match this test's.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join, posix, resolve } from 'node:path';
import { parse } from 'yaml';
import { baseConfigSchema, loadConfig } from '@aico/config';
import { parseDockerfile, type Dockerfile, type Instruction } from './dockerfile';

const root = resolve(__dirname, '..', '..');
const dockerDir = join(root, 'docker');
const APPS = ['bus', 'keys', 'storage', 'scheduler', 'monitor', 'gateway'] as const;
const IMAGES = [...APPS, 'cli'] as const;
const SECRET_PATH = '/run/secrets/aico_master_key';
// The gateway's image also holds the web client and the avatar page it serves on its own origin (built as `npx nx build web avatar` does).
const WEB_BUILD = 'npx vite build --config apps/web/vite.config.ts && npx vite build --config apps/avatar/vite.config.ts';

interface ComposeService {
  build?: { context?: string; dockerfile?: string };
  image?: string;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  secrets?: (string | { source: string; target?: string })[];
  networks?: string[] | Record<string, unknown>;
  depends_on?: string[];
  profiles?: string[];
  read_only?: boolean;
  cap_drop?: string[];
  network_mode?: string;
  privileged?: boolean;
  pid?: string;
  [key: string]: unknown;
}

interface ComposeFile {
  services: Record<string, ComposeService>;
  networks: Record<string, { internal?: boolean } | null>;
  volumes: Record<string, unknown>;
  secrets: Record<string, { file?: string }>;
}

const compose = parse(readFileSync(join(dockerDir, 'compose.yaml'), 'utf8'), { merge: true }) as ComposeFile;
const dockerfiles = Object.fromEntries(IMAGES.map((image) => [image, parseDockerfile(readFileSync(join(dockerDir, `${image}.Dockerfile`), 'utf8'))])) as Record<
  (typeof IMAGES)[number],
  Dockerfile
>;

const finalStage = (image: (typeof IMAGES)[number]) => dockerfiles[image].stages.at(-1)!;
const instructions = (image: (typeof IMAGES)[number], keyword: string, stage = finalStage(image)): Instruction[] =>
  stage.instructions.filter((instruction) => instruction.keyword === keyword);

/** The image's ENV defaults overlaid with the service's environment: what the app sees. */
function effectiveEnv(service: (typeof IMAGES)[number]): Record<string, string> {
  const fromImage = Object.fromEntries(instructions(service, 'ENV').flatMap((env) => env.args.map((pair) => pair.split('=') as [string, string])));
  return { ...fromImage, ...(compose.services[service]!.environment ?? {}) };
}

const endpointPort = (endpoint: string | undefined) => /^tcp:\/\/[^:]+:(\d+)$/.exec(endpoint ?? '')?.[1];
const serviceNetworks = (service: ComposeService) => (Array.isArray(service.networks) ? service.networks : Object.keys(service.networks ?? {}));
const volumeMounts = (service: ComposeService) =>
  (service.volumes ?? []).map((volume) => ({ source: volume.split(':')[0]!, target: volume.split(':')[1]!, readOnly: volume.endsWith(':ro') }));

describe('docker/compose.yaml', () => {
  it('has a service for every app (and the command line on demand), each built from its own Dockerfile in the repository', () => {
    expect(Object.keys(compose.services).sort()).toEqual([...IMAGES].sort());
    for (const image of IMAGES) {
      const build = compose.services[image]!.build!;
      expect(resolve(dockerDir, build.context!)).toBe(root);
      expect(build.dockerfile).toBe(`docker/${image}.Dockerfile`);
      expect(existsSync(join(root, build.dockerfile!))).toBe(true);
    }
    expect(compose.services['cli']!.profiles).toEqual(['cli']);
  });

  it('binds the bus on the container network and points every other app at the bus service, same ports', () => {
    const bus = effectiveEnv('bus');
    expect(bus['AICO_BUS__PUBLISH_ENDPOINT']).toMatch(/^tcp:\/\/0\.0\.0\.0:\d+$/);
    expect(bus['AICO_BUS__SUBSCRIBE_ENDPOINT']).toMatch(/^tcp:\/\/0\.0\.0\.0:\d+$/);
    const publishPort = endpointPort(bus['AICO_BUS__PUBLISH_ENDPOINT']);
    const subscribePort = endpointPort(bus['AICO_BUS__SUBSCRIBE_ENDPOINT']);
    expect(instructions('bus', 'EXPOSE').flatMap((expose) => expose.args)).toEqual([publishPort, subscribePort]);
    for (const image of IMAGES.filter((name) => name !== 'bus')) {
      const env = effectiveEnv(image);
      expect([image, env['AICO_BUS__PUBLISH_ENDPOINT'], env['AICO_BUS__SUBSCRIBE_ENDPOINT']]).toEqual([
        image,
        `tcp://bus:${publishPort}`,
        `tcp://bus:${subscribePort}`,
      ]);
      if (image !== 'cli') expect(compose.services[image]!.depends_on).toContain('bus');
    }
  });

  it('gives every app the production profile and aico configuration that parses, with no misspelt AICO_ variable', () => {
    // Variables of an app's own section (the base schema does not know them); anything else unused is a typo.
    const appSettings: Record<string, string[]> = {
      gateway: ['AICO_GATEWAY__AVATAR_ROOT', 'AICO_GATEWAY__HOST', 'AICO_GATEWAY__PORT', 'AICO_GATEWAY__WEB_ROOT'],
      scheduler: ['AICO_SCHEDULER__BACKUP__DIRECTORY'],
    };
    for (const image of IMAGES) {
      const env = effectiveEnv(image);
      const { config, unusedEnv } = loadConfig({ schema: baseConfigSchema, env });
      expect([image, config.profile, config.masterKeyFile, config.dataDir, config.log.file]).toEqual([image, 'production', SECRET_PATH, '/data', false]);
      expect([image, [...unusedEnv].sort()]).toEqual([image, appSettings[image] ?? []]);
    }
    expect(effectiveEnv('gateway')['AICO_GATEWAY__HOST']).toBe('0.0.0.0');
  });

  it('mounts the master key secret into every container where AICO_MASTER_KEY_FILE looks for it', () => {
    expect(compose.secrets['aico_master_key']?.file).toBe('./secrets/aico_master_key');
    for (const image of IMAGES) {
      const secrets = compose.services[image]!.secrets ?? [];
      // Short syntax, or long syntax with the default target: Compose mounts it at /run/secrets/<name>.
      expect([image, secrets.map((secret) => (typeof secret === 'string' ? secret : (secret.target ?? secret.source)))]).toEqual([image, ['aico_master_key']]);
      expect(posix.join('/run/secrets', 'aico_master_key')).toBe(effectiveEnv(image)['AICO_MASTER_KEY_FILE']);
    }
    // The key never enters git or a build context.
    expect(readFileSync(join(dockerDir, 'secrets', '.gitignore'), 'utf8').split('\n')).toEqual(expect.arrayContaining(['*', '!.gitignore']));
  });

  it('shares one data volume at the data directory between keys, storage and gateway, and the backups volume between storage and scheduler', () => {
    expect(Object.keys(compose.volumes).sort()).toEqual(['aico-backups', 'aico-data']);
    for (const image of ['keys', 'storage', 'gateway'] as const) {
      expect([image, volumeMounts(compose.services[image]!).find((mount) => mount.source === 'aico-data')?.target]).toEqual([
        image,
        effectiveEnv(image)['AICO_DATA_DIR'],
      ]);
    }
    const backupDirectory = effectiveEnv('scheduler')['AICO_SCHEDULER__BACKUP__DIRECTORY'];
    for (const image of ['storage', 'scheduler'] as const) {
      expect([image, volumeMounts(compose.services[image]!).find((mount) => mount.source === 'aico-backups')?.target]).toEqual([image, backupDirectory]);
    }
    expect(volumeMounts(compose.services['cli']!)).toEqual([{ source: 'aico-data', target: '/data', readOnly: true }]);
    // Volumes start as a copy of the image's directory: it must exist there, owned by the user the app runs as.
    for (const image of ['keys', 'storage', 'scheduler', 'gateway'] as const) {
      const prepared = instructions(image, 'RUN')
        .map((run) => run.text)
        .join('\n');
      for (const mount of volumeMounts(compose.services[image]!))
        expect([image, prepared]).toEqual([
          image,
          expect.stringMatching(new RegExp(`mkdir -m 0700 [^&]*${mount.target}\\b[^&]*&& chown node:node [^&]*${mount.target}\\b`)),
        ]);
    }
  });

  it('publishes the gateway alone, on 127.0.0.1 only, and keeps the other apps on a network with no way out', () => {
    const published = Object.entries(compose.services).filter(([, service]) => (service.ports ?? []).length > 0);
    expect(published.map(([name]) => name)).toEqual(['gateway']);
    const gatewayPort = effectiveEnv('gateway')['AICO_GATEWAY__PORT'];
    expect(compose.services['gateway']!.ports).toEqual([`127.0.0.1:8443:${gatewayPort}`]);
    expect(instructions('gateway', 'EXPOSE').flatMap((expose) => expose.args)).toEqual([gatewayPort]);
    expect(compose.networks['bus']).toEqual({ internal: true });
    for (const [name, service] of Object.entries(compose.services)) {
      expect([name, serviceNetworks(service)]).toEqual([name, name === 'gateway' ? ['bus', 'edge'] : ['bus']]);
      expect([name, service.network_mode, service.privileged, service.pid]).toEqual([name, undefined, undefined, undefined]);
      expect([name, service.read_only, service.cap_drop]).toEqual([name, true, ['ALL']]);
    }
  });
});

describe('docker/*.Dockerfile', () => {
  const ignore = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const admitted = ignore.filter((line) => line.startsWith('!')).map((line) => line.slice(1));

  it.each(IMAGES)('%s: builds in a node stage with npm ci and the app build, then runs on node:20-bookworm-slim', (image) => {
    const { stages } = dockerfiles[image];
    expect(stages.map((stage) => [stage.name, stage.image])).toEqual([
      ['build', 'node:20-bookworm'],
      ['runtime', 'node:20-bookworm-slim'],
    ]);
    const build = stages[0]!.instructions.filter((instruction) => instruction.keyword === 'RUN').map((run) => run.text);
    expect(build).toEqual([
      'npm ci',
      ...(image === 'gateway' ? [WEB_BUILD] : []),
      `node tools/build/build-node-app.mjs ${image} && node docker/collect-runtime-modules.mjs dist/apps/${image}/apps/${image}/src/main.js /runtime`,
    ]);
    // Everything the build stage copies is in the build context: it exists, and .dockerignore lets it through.
    for (const copy of stages[0]!.instructions.filter((instruction) => instruction.keyword === 'COPY')) {
      for (const source of copy.args.slice(0, -1)) {
        expect([image, source, existsSync(join(root, source))]).toEqual([image, source, true]);
        expect([image, source, admitted.some((path) => source.replace(/\/$/, '') === path || source.startsWith(`${path}/`))]).toEqual([image, source, true]);
      }
    }
  });

  it.each(IMAGES)('%s: the final stage holds only the build of this app and its packages, and runs it as the non-root node user', (image) => {
    const copies = instructions(image, 'COPY');
    expect(copies.map((copy) => [copy.flags['from'], ...copy.args])).toEqual([
      ['build', `/workspace/dist/apps/${image}/`, './'],
      ['build', '/runtime/node_modules/', './node_modules/'],
      ...(image === 'gateway'
        ? [
            ['build', '/workspace/dist/apps/web/', './web/'],
            ['build', '/workspace/dist/apps/avatar/', './avatar/'],
          ]
        : []),
    ]);
    expect(instructions(image, 'ADD')).toEqual([]);
    expect(instructions(image, 'WORKDIR').map((workdir) => workdir.text)).toEqual(['/app']);
    const users = instructions(image, 'USER').map((user) => user.text);
    expect(users).toEqual(['node']);
    // USER comes before the command, so the app never runs as root.
    const stage = finalStage(image).instructions;
    const start = stage.findIndex((instruction) => instruction.keyword === (image === 'cli' ? 'ENTRYPOINT' : 'CMD'));
    expect(stage.findIndex((instruction) => instruction.keyword === 'USER')).toBeLessThan(start);
    expect(stage[start]).toEqual(expect.objectContaining({ execForm: true, args: ['node', `apps/${image}/src/main.js`] }));
  });

  it('gives the gateway the web client and the avatar page it serves, where its roots point', () => {
    const workdir = instructions('gateway', 'WORKDIR')[0]!.text;
    for (const [site, variable] of [
      ['web', 'AICO_GATEWAY__WEB_ROOT'],
      ['avatar', 'AICO_GATEWAY__AVATAR_ROOT'],
    ] as const) {
      const copy = instructions('gateway', 'COPY').find((candidate) => candidate.args[0] === `/workspace/dist/apps/${site}/`)!;
      expect(effectiveEnv('gateway')[variable]).toBe(posix.join(workdir, copy.args[1]!).replace(/\/$/, ''));
    }
  });

  it('has a TLS health check on the gateway (run for real against the gateway in image-runtime.spec.ts)', () => {
    const [healthcheck] = instructions('gateway', 'HEALTHCHECK');
    expect(healthcheck?.execForm).toBe(true);
    expect(healthcheck?.args.slice(0, 2)).toEqual(['node', '-e']);
    expect(healthcheck?.args[2]).toContain("path:'/api/v1/health'");
    expect(healthcheck?.args[2]).not.toContain('rejectUnauthorized');
    expect(healthcheck?.flags).toEqual(expect.objectContaining({ interval: '30s', timeout: '5s' }));
  });

  it('.dockerignore lets in only what the build stages copy: never node_modules, dist or the secrets directory', () => {
    expect(ignore[0]).toBe('*');
    expect(admitted.filter((path) => path.startsWith('docker'))).toEqual(['docker/collect-runtime-modules.mjs']);
    expect(ignore).toEqual(expect.arrayContaining(['**/node_modules', '**/dist']));
  });
});

/** docker-compose (Debian's v1) on the PATH, if installed. */
function findDockerCompose(): string | undefined {
  return (process.env['PATH'] ?? '')
    .split(delimiter)
    .map((dir) => join(dir, 'docker-compose'))
    .find((candidate) => existsSync(candidate));
}

const dockerCompose = findDockerCompose();

// Runs where docker-compose exists (.ci/run installs it); the structural checks above run everywhere.
describe('docker-compose config', () => {
  if (dockerCompose) {
    it('accepts docker/compose.yaml, and reads its merge keys as this test does', () => {
      const result = spawnSync(dockerCompose, ['-f', join(dockerDir, 'compose.yaml'), 'config'], { cwd: root, encoding: 'utf8' });
      expect({ status: result.status, stderr: result.stderr.trim() }).toEqual({ status: 0, stderr: '' });
      const resolved = parse(result.stdout) as ComposeFile;
      expect(Object.keys(resolved.services).sort()).toEqual(Object.keys(compose.services).sort());
      for (const [name, service] of Object.entries(compose.services)) {
        const theirs = resolved.services[name]!;
        expect([name, theirs.environment]).toEqual([name, service.environment]);
        expect([name, theirs.read_only, theirs.cap_drop, theirs.init]).toEqual([name, true, ['ALL'], true]);
        expect([name, Object.keys(theirs.networks ?? {}).sort()]).toEqual([name, serviceNetworks(service).sort()]);
      }
      expect(resolved.services['gateway']!.ports).toEqual(['127.0.0.1:8443:8443/tcp']);
    });
  }
});
