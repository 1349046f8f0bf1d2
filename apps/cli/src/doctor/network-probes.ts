// Who holds a port: a trial bind, a ZeroMQ greeting read over a plain socket (the bus's CURVE server announces its
// mechanism in the first 64 bytes, before any key is involved), and the gateway's public liveness route.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, createServer } from 'node:net';
import { errorCode } from './doctor-check';

export type Endpoint =
  { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'ipc'; readonly path: string } | { readonly kind: 'inproc' };

/** A bus endpoint as configured (`tcp://host:port`, `ipc://path`, `inproc://name`; validated by the config schema). */
export function parseEndpoint(endpoint: string): Endpoint {
  if (endpoint.startsWith('ipc://')) return { kind: 'ipc', path: endpoint.slice('ipc://'.length) };
  if (endpoint.startsWith('inproc://')) return { kind: 'inproc' };
  const match = /^tcp:\/\/(.+):(\d+)$/.exec(endpoint);
  if (!match) throw new RangeError(`Not a bus endpoint: ${endpoint}`);
  return { kind: 'tcp', host: match[1]!, port: Number(match[2]) };
}

/** ZeroMQ's `*` means every interface. */
const bindHost = (host: string) => (host === '*' ? '0.0.0.0' : host);
/** Where a wildcard listener is reached from this machine. */
const connectHost = (host: string) => (host === '*' || host === '0.0.0.0' ? '127.0.0.1' : host);

/** `free`, or the error code of a trial bind (`EADDRINUSE`, `EACCES`, `EADDRNOTAVAIL`). */
export function bindProbe(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error) => resolve(errorCode(error)));
    server.listen({ host: bindHost(host), port, exclusive: true }, () => server.close(() => resolve('free')));
  });
}

export type Greeting =
  /** Nobody accepts connections there (`ECONNREFUSED`, `ENOENT` for an ipc path). */
  | { readonly kind: 'nothing'; readonly code: string }
  /** A ZeroMQ peer, and its security mechanism (`CURVE`, `NULL`, `PLAIN`; empty before ZMTP 3). */
  | { readonly kind: 'zmtp'; readonly mechanism: string }
  /** Something that is not ZeroMQ; what it said first, printable, or empty when it said nothing. */
  | { readonly kind: 'foreign'; readonly banner: string };

// ZMTP 3 signature (0xFF, 8 bytes padding, 0x7F) and major version 3: a ZeroMQ peer then sends its whole greeting.
const ZMTP_HELLO = Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3]);
const GREETING_BYTES = 32;

function banner(bytes: Buffer): string {
  return bytes
    .subarray(0, 48)
    .toString('latin1')
    .replace(/[^\x20-\x7e]+/g, ' ')
    .trim();
}

/** The greeting so far: a verdict, or undefined while more bytes could still decide it. */
function classify(bytes: Buffer, final: boolean): Greeting | undefined {
  const zmtpSoFar = bytes.length === 0 || (bytes[0] === 0xff && (bytes.length < 10 || bytes[9] === 0x7f));
  if (!zmtpSoFar) return { kind: 'foreign', banner: banner(bytes) };
  if (bytes.length > 10 && bytes[10]! < 3) return { kind: 'zmtp', mechanism: '' };
  if (bytes.length >= GREETING_BYTES) {
    const field = bytes.subarray(12, 32);
    const end = field.indexOf(0);
    return { kind: 'zmtp', mechanism: field.subarray(0, end < 0 ? field.length : end).toString('latin1') };
  }
  if (!final) return undefined;
  return bytes.length >= 10 ? { kind: 'zmtp', mechanism: '' } : { kind: 'foreign', banner: banner(bytes) };
}

/** Connects to a tcp or ipc endpoint and reads what answers, without completing any handshake. */
export function greet(endpoint: Endpoint, timeoutMs = 1_500): Promise<Greeting> {
  if (endpoint.kind === 'inproc') return Promise.resolve({ kind: 'nothing', code: 'INPROC' });
  return new Promise((resolve) => {
    const socket = endpoint.kind === 'tcp' ? connect({ host: connectHost(endpoint.host), port: endpoint.port }) : connect({ path: endpoint.path });
    let received = Buffer.alloc(0);
    let connected = false;
    let settled = false;
    const finish = (greeting: Greeting): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(greeting);
    };
    // A peer that accepts and says nothing (an HTTP server waiting for a request) is decided by this deadline.
    const timer = setTimeout(() => finish(classify(received, true)!), timeoutMs);
    socket.on('connect', () => {
      connected = true;
      socket.write(ZMTP_HELLO);
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const verdict = classify(received, false);
      if (verdict) finish(verdict);
    });
    socket.on('error', (error) => finish(connected ? classify(received, true)! : { kind: 'nothing', code: errorCode(error) }));
    socket.on('close', () => finish(classify(received, true)!));
  });
}

/**
 * Whether aico's gateway answers on host:port: its public liveness route says `service: "gateway"`. The gateway's
 * certificate is self-made, so it is not verified here; nothing but this GET is sent.
 */
export function answersAsGateway(host: string, port: number, tls: boolean, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    // agent: false, so no kept-alive socket holds the CLI's process open after the answer.
    const options = { host: connectHost(host), port, path: '/api/v1/health', method: 'GET', timeout: timeoutMs, rejectUnauthorized: false, agent: false };
    const request = (tls ? httpsRequest : httpRequest)(options, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > 64 * 1024) request.destroy();
        else chunks.push(chunk);
      });
      response.on('end', () => {
        try {
          resolve(response.statusCode === 200 && (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { service?: unknown }).service === 'gateway');
        } catch {
          resolve(false);
        }
      });
      // After 'end' this changes nothing (a promise settles once); without it a cut-off answer would never settle.
      response.on('close', () => resolve(false));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
    request.end();
  });
}
