// Files served over plain HTTP on loopback, as a model host would serve them (Content-Length, Range), for pulls in
// e2e tests: the models service accepts http only from this machine.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export class ModelFileServer {
  readonly requests: string[] = [];
  private readonly files = new Map<string, Buffer>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<ModelFileServer> {
    const server = new ModelFileServer(createServer());
    server.server.on('request', (request, response) => {
      response.on('error', () => undefined);
      const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
      server.requests.push(path);
      const body = server.files.get(path);
      if (!body) {
        response.writeHead(404).end();
        return;
      }
      const start = Number(/^bytes=(\d+)-$/.exec(request.headers.range ?? '')?.[1] ?? 0);
      if (start >= body.length && start > 0) {
        response.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      response.writeHead(start > 0 ? 206 : 200, {
        'content-length': String(body.length - start),
        ...(start > 0 ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
      });
      response.end(body.subarray(start));
    });
    server.server.listen(0, '127.0.0.1');
    await once(server.server, 'listening');
    return server;
  }

  serve(path: string, body: Buffer): string {
    this.files.set(path, body);
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}
