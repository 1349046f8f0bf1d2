// For commands that talk to running services: a bus client under the `cli` identity, with the keys a service
// would use (keychain, AICO_MASTER_KEY_FILE, or the development key). Closed when the command ends. Only reads:
// the CLI never makes a development key (services that run have made it), so it works on a full disk.
import { BusClient, deriveClientKeys } from '@aico/bus';
import { defaultTopicRegistry } from '@aico/contracts';
import { loadServiceKeys, OsKeychain } from '@aico/key-manager';
import { KeyError, KeyErrorCode } from '@aico/keys';
import { captureLogger } from '@aico/logging';
import type { CliContext } from './cli-context';
import { CliError, ExitCode } from './exit-codes';

export interface WithBusOptions {
  /** Subscribes before connecting: the connect handshake then proves the subscriptions reached the bus. */
  readonly beforeConnect?: (bus: BusClient) => void;
}

export async function withBus<T>(cli: CliContext, work: (bus: BusClient) => Promise<T>, options: WithBusOptions = {}): Promise<T> {
  const { keys } = await loadServiceKeys({ ...cli.config, secretStore: new OsKeychain(), createDevelopmentKey: false }).catch((error: unknown) => {
    if (error instanceof KeyError && error.code === KeyErrorCode.KeyFileNotFound && cli.config.profile === 'development' && !cli.config.masterKeyFile) {
      throw new CliError(`Cannot reach the aico bus: ${error.message} Is aico running ("npm start")?`, ExitCode.Unavailable);
    }
    throw error;
  });
  const bus = new BusClient({
    identity: 'cli',
    publishEndpoint: cli.config.bus.publishEndpoint,
    subscribeEndpoint: cli.config.bus.subscribeEndpoint,
    curve: deriveClientKeys(keys, 'cli'),
    registry: defaultTopicRegistry,
    // The CLI's own bus chatter is not the user's business; failures surface as errors.
    logger: captureLogger('cli').logger,
    readyTimeoutMs: cli.config.bus.readyTimeoutMs,
    requestTimeoutMs: cli.config.bus.requestTimeoutMs,
    // A streamed answer (aico generate) fails within this long when its service dies, not at its deadline.
    streamIdleTimeoutMs: cli.config.bus.streamIdleTimeoutMs,
    answerPings: false,
  });
  keys.destroy();
  options.beforeConnect?.(bus);
  try {
    await bus.connect();
  } catch (error) {
    throw new CliError(`Cannot reach the aico bus: ${(error as Error).message} Is aico running ("npm start")?`, ExitCode.Unavailable);
  }
  try {
    return await work(bus);
  } finally {
    await bus.close();
  }
}
