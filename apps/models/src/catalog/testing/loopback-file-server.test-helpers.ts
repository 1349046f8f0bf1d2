// A plain HTTP server on loopback that serves files as a model host does (Content-Length, ETag, Range with If-Range,
// 416 past the end), and misbehaves on request: cuts the connection after some bytes, ignores Range, sends no length
// (chunked), stalls, redirects. It records every request, so a test can check what the downloader asked for.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedFile {
  body: Buffer;
  etag?: string;
  /** Cut the connection after this many body bytes, for the next `cutTimes` responses (default once). */
  cutAfter?: number;
  cutTimes?: number;
  /** Answer every request with the whole file (200), whatever Range says. */
  ignoreRange?: boolean;
  /** No Content-Length: the body is sent chunked, its size unknown until it ends. */
  chunked?: boolean;
  /** Send the headers and this many bytes, then nothing more (the connection stays open). */
  stallAfter?: number;
  status?: number;
}

export interface RecordedRequest {
  readonly path: string;
  readonly range: string | undefined;
  readonly ifRange: string | undefined;
}

export class LoopbackFileServer {
  readonly requests: RecordedRequest[] = [];
  private readonly files = new Map<string, ServedFile>();
  private readonly redirects = new Map<string, string>();
  private readonly server: Server;
  private readonly stalled = new Set<ServerResponse>();

  private constructor() {
    this.server = createServer((request, response) => this.handle(request, response));
  }

  static async start(): Promise<LoopbackFileServer> {
    const server = new LoopbackFileServer();
    server.server.listen(0, '127.0.0.1');
    await once(server.server, 'listening');
    return server;
  }

  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  url(path: string): URL {
    return new URL(path, this.origin);
  }

  serve(path: string, file: ServedFile): this {
    this.files.set(path, file);
    return this;
  }

  redirect(from: string, to: string): this {
    this.redirects.set(from, to);
    return this;
  }

  async stop(): Promise<void> {
    for (const response of this.stalled) response.destroy();
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const path = new URL(request.url ?? '/', this.origin).pathname;
    this.requests.push({ path, range: request.headers.range, ifRange: request.headers['if-range'] as string | undefined });
    response.on('error', () => undefined);
    const target = this.redirects.get(path);
    if (target) {
      response.writeHead(302, { location: target }).end();
      return;
    }
    const file = this.files.get(path);
    if (!file) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (file.status) {
      response.writeHead(file.status).end();
      return;
    }
    const size = file.body.length;
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
    if (file.etag) headers['etag'] = file.etag;
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    const ifRange = request.headers['if-range'];
    if (range && !file.ignoreRange && (ifRange === undefined || ifRange === file.etag)) {
      start = Number(range[1]);
      if (start >= size) {
        response.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return;
      }
      headers['content-range'] = `bytes ${start}-${size - 1}/${size}`;
    }
    if (!file.chunked) headers['content-length'] = String(size - start);
    response.writeHead(start > 0 ? 206 : 200, headers);
    const body = file.body.subarray(start);
    if (file.stallAfter !== undefined) {
      this.stalled.add(response);
      response.write(body.subarray(0, file.stallAfter));
      return;
    }
    if (file.cutAfter !== undefined && (file.cutTimes ?? 1) > 0) {
      file.cutTimes = (file.cutTimes ?? 1) - 1;
      // Flushed to the socket first, then the connection closes short of the announced length.
      response.write(body.subarray(0, file.cutAfter), () => response.socket?.destroy());
      return;
    }
    // In pieces, so a chunked body really arrives as several chunks.
    for (let offset = 0; offset < body.length; offset += 64 * 1024) response.write(body.subarray(offset, offset + 64 * 1024));
    response.end();
  }
}
