// The gateway's WebSocket under test with real processes (bus, keys, storage, gateway, as gateway.e2e-spec.ts starts
// them), its settings given per test file, users put straight into storage, logins over HTTPS, sockets that collect
// their frames, and access tokens minted with the test's own copy of the signing key (to choose their expiry).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, decodeJwt } from 'jose';
import type WebSocket from 'ws';
import { createTestClient, freeTcpPort, requestWhenRoutable, type BusClient } from '@aico/bus';
import { StorageTopics } from '@aico/contracts';
import { hashUserPassword } from '@aico/key-manager';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service';
import { StorageClient } from '@aico/storage-client';
import { ServiceProcess } from '../support/service-process';
import { FrameReader, GatewayClient, opened } from './https-client';

const app = (name: string) => `dist/apps/${name}/apps/${name}/src/main.js`;
export const PASSWORD = 'Ws-test-password-2026!';

export interface Tokens {
  readonly accessToken: string;
  readonly refreshToken: string;
}

/** A socket and its frames. */
export interface TestSocket {
  readonly socket: WebSocket;
  readonly frames: FrameReader;
  /** Resolves with the close code once the socket is closed (by either side). */
  readonly closed: Promise<number>;
  /** Sends a frame and waits for the answer carrying its id. */
  ask(frame: Record<string, unknown> & { id: string }): Promise<Record<string, unknown>>;
}

export class WsTestSystem {
  readonly processes = new Map<string, ServiceProcess>();
  private constructor(
    readonly environment: ServiceTestEnvironment,
    readonly api: GatewayClient,
    readonly bus: BusClient,
    /** The gateway's own certificate (PEM), which clients here trust and nothing else. */
    readonly certificate: string,
  ) {}

  /** Starts bus, keys, storage and gateway with these AICO_GATEWAY__* settings (and any other AICO_* variable). */
  static async start(env: NodeJS.ProcessEnv): Promise<WsTestSystem> {
    const port = await freeTcpPort();
    const environment = await createServiceTestEnvironment('tcp', { AICO_LOG__LEVEL: 'info', AICO_LOG__FILE: 'false', AICO_BUS__HEARTBEAT_INTERVAL_MS: '250', AICO_GATEWAY__PORT: String(port), ...env });
    const processes = new Map<string, ServiceProcess>();
    const start = async (name: string) => {
      const child = new ServiceProcess(name, app(name), [], environment.env);
      processes.set(name, child);
      await child.waitForMessage(`${name} ready`, 30_000);
    };
    try {
      await start('bus');
      await Promise.all([start('keys'), start('storage')]);
      await start('gateway');
    } catch (error) {
      for (const child of processes.values()) child.signal('SIGKILL');
      await environment.cleanup();
      throw error;
    }
    const certificate = await readFile(join(environment.dir, 'gateway', 'tls-cert.pem'), 'utf8');
    const api = new GatewayClient(`https://127.0.0.1:${port}`, certificate);
    const bus = createTestClient('cli', environment.keys, environment.endpoints);
    await bus.connect();
    await requestWhenRoutable((timeoutMs) => bus.request(StorageTopics.databaseCheck, {}, { timeoutMs }));
    const system = new WsTestSystem(environment, api, bus, certificate);
    for (const [name, child] of processes) system.processes.set(name, child);
    return system;
  }

  get gateway(): ServiceProcess {
    return this.processes.get('gateway')!;
  }

  async stop(): Promise<void> {
    await this.bus.close({ drainTimeoutMs: 0 });
    for (const child of this.processes.values()) child.signal('SIGKILL');
    await this.environment.cleanup();
  }

  async addUser(id: string, role: 'admin' | 'user' | 'guest' = 'user'): Promise<void> {
    await new StorageClient(this.bus).putRecord({ kind: { case: 'user', value: { id, username: id, role, passwordHash: await hashUserPassword(PASSWORD) } } });
  }

  async login(username: string): Promise<Tokens> {
    const response = await this.api.call('POST', '/api/v1/auth/login', { json: { username, password: PASSWORD } });
    if (response.status !== 200) throw new Error(`login of ${username} answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body as Tokens;
  }

  async refresh(tokens: Tokens): Promise<Tokens> {
    const response = await this.api.call('POST', '/api/v1/auth/refresh', { json: { refreshToken: tokens.refreshToken } });
    if (response.status !== 200) throw new Error(`refresh answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body as Tokens;
  }

  /** An access token for the same user, role and session as `like`, expiring at `expiresAtSeconds` (signed as the gateway signs). */
  mintToken(like: string, expiresAtSeconds: number): Promise<string> {
    const claims = decodeJwt(like) as { sub: string; role: string; sid: string };
    return new SignJWT({ role: claims.role, sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256', kid: 'v1' })
      .setSubject(claims.sub)
      .setIssuer('aico-gateway')
      .setAudience('aico')
      .setIssuedAt(Math.floor(Date.now() / 1000))
      .setExpirationTime(expiresAtSeconds)
      .sign(this.environment.keys.purposeKey('token-signing', 1));
  }

  /** Opens a socket with this token and waits until it is open. */
  async connect(token: string): Promise<TestSocket> {
    const socket = this.api.websocket(token);
    const test = wrap(socket);
    await opened(socket);
    return test;
  }

  /** The HTTP status a WebSocket upgrade with this token is refused with, and the error code in its body. */
  refusedUpgrade(token: string): Promise<{ status: number; code: string }> {
    return new Promise((resolve, reject) => {
      const socket = this.api.websocket(token);
      socket.once('open', () => {
        socket.close();
        reject(new Error('the upgrade was accepted'));
      });
      socket.once('error', () => undefined);
      socket.once('unexpected-response', (_request, response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, code: (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error: { code: string } }).error.code }));
      });
    });
  }
}

export function wrap(socket: WebSocket): TestSocket {
  const frames = new FrameReader(socket);
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  socket.on('error', () => undefined); // the close that follows is what the tests look at
  return {
    socket,
    frames,
    closed,
    ask: (frame) => {
      socket.send(JSON.stringify(frame));
      return frames.next((answer) => answer['id'] === frame.id, 30_000);
    },
  };
}
