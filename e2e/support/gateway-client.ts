// A client of the gateway for e2e tests, HTTPS and WSS, trusting exactly the gateway's own certificate (pinned, as a
// front end would after first use). Each HTTPS request gets a fresh connection (no keep-alive: a test about
// connections sees only its own, and no pooled connection is closed under a request by the gateway's idle timeout),
// optionally from a chosen source address. Sockets collect their frames so a test waits for the frame it expects.
import { request as httpsRequest } from 'node:https';
import WebSocket from 'ws';
import { SIGNAL_TIMEOUT_MS } from './timing';

export interface GatewayResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of many shapes, asserted per test
}

export interface GatewayRequest {
  readonly token?: string;
  readonly json?: unknown;
  /** A body sent as is, with `contentType` (application/json unless given). */
  readonly raw?: string | Buffer;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  /** The source address, e.g. 127.0.5.9 (every 127.x address reaches the gateway on Linux). */
  readonly localAddress?: string;
}

export type Frame = Record<string, unknown>;

/** A socket and its frames. */
export interface TestSocket {
  readonly socket: WebSocket;
  readonly frames: FrameReader;
  /** Resolves with the close code once the socket is closed (by either side). */
  readonly closed: Promise<number>;
  /** Sends a frame and waits for the next frame carrying its id (the answer). */
  ask(frame: Frame & { id: string }): Promise<Frame>;
}

export class GatewayClient {
  constructor(
    readonly url: string,
    /** The gateway's certificate (PEM): the only one trusted. */
    readonly ca: string,
  ) {}

  call(method: string, path: string, options: GatewayRequest = {}): Promise<GatewayResponse> {
    const body = options.raw ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        `${this.url}${path}`,
        {
          method,
          ca: this.ca,
          agent: false,
          ...(options.localAddress ? { localAddress: options.localAddress } : {}),
          headers: {
            ...(body !== undefined ? { 'content-type': options.contentType ?? 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
            ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
            ...options.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
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

  /** A WebSocket with this token (none: no bearer subprotocol), not yet open. */
  websocket(token: string | undefined): WebSocket {
    return new WebSocket(`${this.url.replace(/^https/, 'wss')}/ws`, token ? ['aico.v1', `aico.bearer.${token}`] : ['aico.v1'], { ca: this.ca });
  }

  /** Opens a socket with this token and waits until it is open. */
  async connect(token: string): Promise<TestSocket> {
    const socket = this.websocket(token);
    const test = testSocket(socket);
    await opened(socket);
    return test;
  }

  /** The HTTP status a WebSocket upgrade with this token (or none) is refused with, and the error code in its body. */
  refusedUpgrade(token: string | undefined): Promise<{ status: number; code: string | undefined }> {
    return new Promise((resolve, reject) => {
      const socket = this.websocket(token);
      socket.once('open', () => {
        socket.close();
        reject(new Error('the upgrade was accepted'));
      });
      // With an 'unexpected-response' listener, ws reports a refusal there; an error is a failure to get any answer.
      socket.once('error', reject);
      socket.once('unexpected-response', (_request, response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          let code: string | undefined;
          try {
            code = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { code?: string } }).error?.code;
          } catch {
            // no JSON body: the status says it all
          }
          resolve({ status: response.statusCode ?? 0, code });
        });
      });
    });
  }
}

/** Collects a WebSocket's JSON frames and lets a test wait for one that matches. */
export class FrameReader {
  readonly frames: Frame[] = [];
  private waiters: { match: (frame: Frame) => boolean; resolve: (frame: Frame) => void }[] = [];

  constructor(socket: WebSocket) {
    socket.on('message', (data) => {
      let frame: Frame;
      try {
        frame = JSON.parse(String(data)) as Frame;
      } catch {
        frame = { type: 'not-json', text: String(data).slice(0, 200) }; // the gateway sends JSON only: show what came
      }
      this.frames.push(frame);
      this.waiters = this.waiters.filter((waiter) => (waiter.match(frame) ? (waiter.resolve(frame), false) : true));
    });
  }

  /** The first frame (seen since index `since`, or to come) that matches; rejects after `timeoutMs` naming the last frames. */
  next(match: (frame: Frame) => boolean, timeoutMs = SIGNAL_TIMEOUT_MS, since = 0): Promise<Frame> {
    const seen = this.frames.slice(since).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (frame: Frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        reject(new Error(`no matching frame within ${timeoutMs} ms; the last ones: ${JSON.stringify(this.frames.slice(-5))}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}

export function testSocket(socket: WebSocket): TestSocket {
  const frames = new FrameReader(socket);
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  socket.on('error', () => undefined); // the close that follows is what the tests look at
  return {
    socket,
    frames,
    closed,
    ask: (frame) => {
      const since = frames.frames.length; // an earlier frame with the same id is not this answer
      socket.send(JSON.stringify(frame));
      return frames.next((answer) => answer['id'] === frame.id, SIGNAL_TIMEOUT_MS, since);
    },
  };
}

export function opened(socket: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
}

/**
 * Publishes avatar speech of the socket's own user until it comes back to the socket (subscribed under "ui."), and
 * returns that event. Once it is heard, everything published on the bus before it has been relayed too: a barrier.
 * The first tries may beat the gateway's bus subscription (ZeroMQ's slow joiner), so each try waits twice as long as
 * the one before (250 ms up to 8 s) for its echo, until `totalMs`.
 */
export async function speakUntilHeard(client: TestSocket, label: string, totalMs = SIGNAL_TIMEOUT_MS): Promise<Frame> {
  const deadline = Date.now() + totalMs;
  const since = client.frames.frames.length;
  const isOurs = (frame: Frame) =>
    frame['type'] === 'event' &&
    frame['topic'] === 'ui.avatar.speak' &&
    String((frame['payload'] as { text?: unknown } | undefined)?.text).startsWith(`${label} `);
  for (let attempt = 0, waitMs = 250; ; attempt++, waitMs = Math.min(waitMs * 2, 8_000)) {
    const text = `${label} ${attempt}`;
    const answer = await client.ask({ type: 'publish', topic: 'ui.avatar.speak', payload: { text }, id: `${label}/${attempt}` });
    if (answer['type'] !== 'published') throw new Error(`publishing "${text}" answered ${JSON.stringify(answer)}`);
    const last = Date.now() + waitMs >= deadline;
    const heard = await client.frames.next(isOurs, last ? Math.max(deadline - Date.now(), 1) : waitMs, since).catch((error: unknown) => {
      if (last) throw new Error(`the socket never heard its own avatar speech "${label}" within ${totalMs} ms: ${(error as Error).message}`);
      return undefined;
    });
    if (heard) return heard;
  }
}
