// Raw baseline proxy process: zeromq.js's native XSUB/XPUB Proxy, both sockets CURVE servers, on tcp loopback with
// free ports. The same sockets and options as BusProxy minus the ZAP allow list (which only acts at the handshake).
import { Context, Proxy, XPublisher, XSubscriber } from 'zeromq';
import { log, readSetup, serve } from './child-runtime';
import { HIGH_WATER_MARK } from './protocol';

async function main(): Promise<void> {
  const setup = readSetup();
  if (!setup.serverKeys) throw new Error('raw proxy: serverKeys missing');
  const context = new Context();
  const curve = { context, curveServer: true, curvePublicKey: setup.serverKeys.publicKey, curveSecretKey: setup.serverKeys.secretKey, linger: 0 };
  const frontend = new XSubscriber({ ...curve, receiveHighWaterMark: HIGH_WATER_MARK, sendHighWaterMark: HIGH_WATER_MARK, maxMessageSize: 16 * 1024 * 1024 });
  const backend = new XPublisher({ ...curve, sendHighWaterMark: HIGH_WATER_MARK, receiveHighWaterMark: HIGH_WATER_MARK });
  await frontend.bind('tcp://127.0.0.1:*');
  await backend.bind('tcp://127.0.0.1:*');
  const proxy = new Proxy(frontend, backend);
  const running = proxy.run();
  serve({}, { publishEndpoint: frontend.lastEndpoint, subscribeEndpoint: backend.lastEndpoint }, async () => {
    proxy.terminate();
    await running;
    frontend.close();
    backend.close();
  });
}

main().catch((error: unknown) => {
  log('raw-proxy', `failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
