// A small HTTPS client for the e2e tests that trusts exactly the gateway's own certificate (pinned, as a front end
// would after first use), and a WebSocket client on the same terms.
import { request } from 'node:https';
import WebSocket from 'ws';

export interface ApiResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of many shapes, asserted per test
}

export class GatewayClient {
  constructor(
    readonly url: string,
    private readonly ca: string,
  ) {}

  call(method: string, path: string, options: { token?: string; json?: unknown; raw?: string | Buffer; contentType?: string; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
    const body = options.raw ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.url}${path}`,
        {
          method,
          ca: this.ca,
          headers: {
            ...options.headers,
            ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
            ...(body !== undefined ? { 'content-type': options.contentType ?? 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
          });
        },
      );
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  websocket(token: string | undefined): WebSocket {
    return new WebSocket(`${this.url.replace(/^https/, 'wss')}/ws`, token ? ['aico.v1', `aico.bearer.${token}`] : ['aico.v1'], { ca: this.ca });
  }
}

/** Collects a WebSocket's JSON frames and lets a test wait for one that matches. */
export class FrameReader {
  readonly frames: Record<string, unknown>[] = [];
  private waiters: { match: (frame: Record<string, unknown>) => boolean; resolve: (frame: Record<string, unknown>) => void }[] = [];

  constructor(socket: WebSocket) {
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Record<string, unknown>;
      this.frames.push(frame);
      this.waiters = this.waiters.filter((waiter) => (waiter.match(frame) ? (waiter.resolve(frame), false) : true));
    });
  }

  next(match: (frame: Record<string, unknown>) => boolean, timeoutMs = 10_000): Promise<Record<string, unknown>> {
    const seen = this.frames.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      });
    });
  }
}

export function opened(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
}
