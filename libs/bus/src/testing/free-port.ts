// Free loopback tcp ports for tests, picked below Linux's ephemeral range (32768+). A bus restarted on an ephemeral
// port can find it taken by a client whose reconnect attempt connected to itself while nothing listened (TCP
// simultaneous open), the classic self-connect; ports outside that range are never handed out as a source port.
import { createServer } from 'node:net';

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function freeTcpPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await tryListen(port)) return port;
  }
  throw new Error('No free tcp port found between 20000 and 32000');
}
