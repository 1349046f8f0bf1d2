// The bus of a running installation as a test reaches it: a client with the CLI's identity under the master key the
// system runs on (the keychain in CI, else the development key file), and a poll that waits for a condition with a
// generous deadline instead of sleeping.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BusClient } from '@aico/bus';
import { createTestClient } from '@aico/bus/testing';
import type { ServiceIdentity } from '@aico/contracts';
import { KeyManager, OsKeychain } from '@aico/key-manager';
import { KeyRing } from '@aico/keys';
import { realKeychain } from './system';

export function connectAsCli(env: NodeJS.ProcessEnv): Promise<BusClient> {
  return connectAs('cli', env);
}

/** A client with one of the system's service identities (a test standing in for that service at the edge). */
export async function connectAs(identity: ServiceIdentity, env: NodeJS.ProcessEnv): Promise<BusClient> {
  const dataDir = env['AICO_DATA_DIR']!;
  let keys: KeyRing;
  if (realKeychain) {
    const found = await new KeyManager({ dataDir, secretStore: new OsKeychain() }).keysFromKeychain();
    if (!found.keys) throw new Error(`the keychain holds no master key: ${found.reason}`);
    keys = found.keys;
  } else {
    keys = new KeyRing(Buffer.from((await readFile(join(dataDir, 'dev-master.key'), 'utf8')).trim(), 'hex'), 'dev');
  }
  const client = createTestClient(identity, keys, {
    publishEndpoint: env['AICO_BUS__PUBLISH_ENDPOINT']!,
    subscribeEndpoint: env['AICO_BUS__SUBSCRIBE_ENDPOINT']!,
  });
  await client.connect();
  return client;
}

/** Resolves with the first defined value `probe` gives (errors count as "not yet"); rejects after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Whether a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
