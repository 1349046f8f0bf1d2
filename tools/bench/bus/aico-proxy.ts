// aico proxy process: the real BusProxy (native XSUB/XPUB proxy, CURVE servers, ZAP allow list of the identities
// derived from this run's random master key) on tcp loopback with free ports.
import 'reflect-metadata';
import { BusProxy, deriveAllowList, deriveServerKeys } from '@aico/bus';
import { benchLogger, keyRingFrom } from './bench-topics';
import { log, readSetup, serve } from './child-runtime';
import { HIGH_WATER_MARK } from './protocol';

async function main(): Promise<void> {
  const setup = readSetup();
  const keys = keyRingFrom(setup);
  const proxy = new BusProxy({
    publishEndpoint: 'tcp://127.0.0.1:*',
    subscribeEndpoint: 'tcp://127.0.0.1:*',
    serverKeys: deriveServerKeys(keys),
    allowedKeys: deriveAllowList(keys),
    logger: benchLogger(setup.name),
    highWaterMark: HIGH_WATER_MARK,
  });
  await proxy.start();
  serve({}, { ...proxy.boundEndpoints }, () => proxy.stop());
}

main().catch((error: unknown) => {
  log('aico-proxy', `failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
