// `aico doctor`'s checks in order, over an environment that tests replace piece by piece: the file system, the
// network probes, the keychain, the bus connector and the clock.
import { randomBytes } from 'node:crypto';
import { readdir, stat, statfs, unlink, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { BusClient, deriveClientKeys } from '@aico/bus';
import type { BaseConfig } from '@aico/config';
import { defaultTopicRegistry } from '@aico/contracts';
import { KeyVersionStore, OsKeychain, VAULT_FILE, type SecretStore } from '@aico/key-manager';
import { captureLogger } from '@aico/logging';
import { checkBus, type BusConnector } from './bus.check';
import { checkDataDirectory, checkDiskSpace, checkKeyFiles, type DoctorFileSystem } from './data-dir.check';
import { checkDataFiles } from './data-files.check';
import { errorCode, type CheckResult } from './doctor-check';
import { loadGatewayEndpoint } from './gateway-endpoint';
import { checkKeychain, checkMasterKey, probeKeychain } from './master-key.check';
import { answersAsGateway, bindProbe, greet } from './network-probes';
import { checkNodeVersion } from './node-version.check';
import { checkBusPort, checkGatewayPort, type DoctorNetwork, type GatewayEndpoint } from './ports.check';
import { checkPlaintextKey } from './plaintext-key.check';
import { checkDatabase, checkServices } from './services.check';

export interface DoctorEnvironment {
  readonly nodeVersion: string;
  readonly platform: NodeJS.Platform;
  readonly uid: number | undefined;
  readonly userName: string;
  readonly fs: DoctorFileSystem;
  readonly secretStore: SecretStore | undefined;
  readonly network: DoctorNetwork;
  readonly connectBus: BusConnector;
  /** Throws the ConfigError of an invalid gateway setting. */
  readonly gatewayEndpoint: () => GatewayEndpoint;
  /** Short: a bus that has not answered in this time is not going to. */
  readonly busReadyTimeoutMs: number;
  /** Milliseconds, for round-trip times. */
  readonly now: () => number;
}

export type DoctorConfig = Pick<BaseConfig, 'dataDir' | 'profile' | 'masterKeyFile' | 'bus'>;

const nodeFileSystem: DoctorFileSystem = {
  stat: (path) => stat(path),
  statfs: (path) => statfs(path),
  writeProbe: async (dir) => {
    const probe = join(dir, `.aico-doctor-${process.pid}-${randomBytes(4).toString('hex')}`);
    await writeFile(probe, '', { flag: 'wx', mode: 0o600 });
    await unlink(probe);
  },
  list: async (dir) =>
    (await readdir(dir, { withFileTypes: true })).map((entry) => ({
      name: entry.name,
      kind: entry.isDirectory() ? 'directory' : entry.isFile() ? 'file' : 'other',
    })),
};

const connectCliBus: BusConnector = async ({ endpoints, keys, readyTimeoutMs }) => {
  const bus = new BusClient({
    identity: 'cli',
    publishEndpoint: endpoints.publishEndpoint,
    subscribeEndpoint: endpoints.subscribeEndpoint,
    curve: deriveClientKeys(keys, 'cli'),
    registry: defaultTopicRegistry,
    // The client's own log lines are not the user's business; the doctor reports what they mean.
    logger: captureLogger('cli').logger,
    readyTimeoutMs,
    answerPings: false,
  });
  // A failed connect closes the client itself.
  await bus.connect();
  return bus;
};

/** The real machine. */
export function createDoctorEnvironment(overrides: Partial<DoctorEnvironment> = {}): DoctorEnvironment {
  return {
    nodeVersion: process.versions.node,
    platform: process.platform,
    uid: process.getuid?.(),
    userName: userInfo().username,
    fs: nodeFileSystem,
    secretStore: new OsKeychain(),
    network: { bind: bindProbe, greet, answersAsGateway },
    connectBus: connectCliBus,
    gatewayEndpoint: () => loadGatewayEndpoint(),
    busReadyTimeoutMs: 3_000,
    now: () => performance.now(),
    ...overrides,
  };
}

/** Each probe once per run: the bus and port checks ask about the same endpoints, and a greeting costs the bus a log line. */
function probeOnce(network: DoctorNetwork): DoctorNetwork {
  const answers = new Map<string, Promise<unknown>>();
  const once = <T>(key: string, probe: () => Promise<T>): Promise<T> => {
    let answer = answers.get(key) as Promise<T> | undefined;
    if (!answer) answers.set(key, (answer = probe()));
    return answer;
  };
  return {
    bind: (host, port) => once(`bind ${host} ${port}`, () => network.bind(host, port)),
    greet: (endpoint) => once(`greet ${JSON.stringify(endpoint)}`, () => network.greet(endpoint)),
    answersAsGateway: (host, port, tls) => network.answersAsGateway(host, port, tls),
  };
}

/** A path that is there but cannot be examined counts as there: the check that reads it says why it cannot. */
async function exists(fs: DoctorFileSystem, path: string): Promise<boolean> {
  try {
    await fs.stat(path);
    return true;
  } catch (error) {
    return errorCode(error) !== 'ENOENT';
  }
}

export async function runDoctor(
  config: DoctorConfig,
  environment: DoctorEnvironment,
  progress: (line: string) => void = () => undefined,
): Promise<CheckResult[]> {
  const { dataDir } = config;
  const { fs, platform } = environment;
  const selection = { dataDir, profile: config.profile, masterKeyFile: config.masterKeyFile, platform };
  const subject = { dataDir, platform, uid: environment.uid, userName: environment.userName, fs };

  const node = checkNodeVersion(environment.nodeVersion);
  const setUp = await exists(fs, join(dataDir, VAULT_FILE));
  const keychain = await probeKeychain(environment.secretStore, dataDir);
  const masterKey = await checkMasterKey(keychain, selection, (path) => exists(fs, path));
  const plaintextKey = await checkPlaintextKey(dataDir, (path) => exists(fs, path));
  const files = [await checkDataDirectory(subject), await checkKeyFiles(subject), await checkDataFiles(subject), await checkDiskSpace(subject)];

  const network = probeOnce(environment.network);
  progress('Checking the bus ...');
  let bus: Awaited<ReturnType<typeof checkBus>>;
  try {
    bus = await checkBus({
      endpoints: { publishEndpoint: config.bus.publishEndpoint, subscribeEndpoint: config.bus.subscribeEndpoint },
      dataDir,
      keys: masterKey.keys,
      connect: environment.connectBus,
      network,
      readyTimeoutMs: environment.busReadyTimeoutMs,
      now: environment.now,
    });
  } finally {
    masterKey.keys?.destroy();
  }
  try {
    const portSubject = { network, platform, busConnected: bus.connected };
    let gateway: GatewayEndpoint | Error;
    try {
      gateway = environment.gatewayEndpoint();
    } catch (error) {
      gateway = error as Error;
    }
    const ports = [
      await checkBusPort('publish', config.bus.publishEndpoint, portSubject),
      await checkBusPort('subscribe', config.bus.subscribeEndpoint, portSubject),
      await checkGatewayPort(gateway, portSubject),
    ];
    if (bus.bus) progress('Asking the services, and storage for a database check ...');
    const services = await checkServices(bus.bus, dataDir, environment.now);
    const database = await checkDatabase({
      bus: bus.bus,
      storageAnswers: services.answering.has('storage'),
      dataDir,
      expectedKeyVersion: () =>
        new KeyVersionStore(dataDir).read().then(
          (versions) => versions.database.version,
          () => undefined,
        ),
    });
    return [node, checkKeychain(keychain, { ...selection, setUp }), masterKey.result, plaintextKey, ...files, ...ports, bus.result, services.result, database];
  } finally {
    await bus.bus?.close({ drainTimeoutMs: 0 });
  }
}
