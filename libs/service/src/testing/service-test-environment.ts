// A throwaway production-profile environment for contract and e2e tests of real services: a temporary data
// directory, a random master key in a 0600 key file, bus endpoints (ipc paths in it, or free loopback tcp ports),
// and the AICO_* variables that point a service at all of it.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeTcpPort } from '@aico/bus/testing';
import { KeyRing } from '@aico/keys';

export interface ServiceTestEnvironment {
  readonly dir: string;
  /** Derives the same keys the services derive from the key file. */
  readonly keys: KeyRing;
  readonly endpoints: { readonly publishEndpoint: string; readonly subscribeEndpoint: string };
  /** Environment for runService() or a child process. */
  readonly env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

export async function createServiceTestEnvironment(transport: 'tcp' | 'ipc', extraEnv: NodeJS.ProcessEnv = {}): Promise<ServiceTestEnvironment> {
  const dir = await mkdtemp(join(tmpdir(), 'aico-test-'));
  const master = randomBytes(32);
  const keyFile = join(dir, 'master.key');
  await writeFile(keyFile, master.toString('hex'), { mode: 0o600 });
  const endpoints =
    transport === 'ipc'
      ? { publishEndpoint: `ipc://${dir}/pub.sock`, subscribeEndpoint: `ipc://${dir}/sub.sock` }
      : { publishEndpoint: `tcp://127.0.0.1:${await freeTcpPort()}`, subscribeEndpoint: `tcp://127.0.0.1:${await freeTcpPort()}` };
  return {
    dir,
    keys: new KeyRing(master, 'test'),
    endpoints,
    env: {
      AICO_PROFILE: 'production',
      AICO_DATA_DIR: dir,
      AICO_MASTER_KEY_FILE: keyFile,
      AICO_BUS__PUBLISH_ENDPOINT: endpoints.publishEndpoint,
      AICO_BUS__SUBSCRIBE_ENDPOINT: endpoints.subscribeEndpoint,
      AICO_LOG__PRETTY: 'false',
      ...extraEnv,
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
