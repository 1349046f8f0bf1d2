// The gateway with what it needs (bus, keys, storage) as real child processes in a throwaway environment, for e2e
// tests of its HTTP side, and an HTTPS client that opens a fresh connection per request (no keep-alive, so a test
// about connections sees only its own) from a chosen source address, trusting exactly the gateway's certificate.
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { createTestClient, freeTcpPort, requestWhenRoutable, type BusClient } from '@aico/bus';
import { StorageTopics } from '@aico/contracts';
import { hashUserPassword } from '@aico/key-manager';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service';
import { StorageClient } from '@aico/storage-client';
import { ServiceProcess } from './service-process';

export const builtApp = (name: string) => `dist/apps/${name}/apps/${name}/src/main.js`;

export interface GatewayResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of many shapes, asserted per test
}

export interface GatewayRequest {
  readonly token?: string;
  readonly json?: unknown;
  /** A body sent as is (with content-type application/json unless headers say otherwise). */
  readonly raw?: string | Buffer;
  readonly headers?: Record<string, string>;
  /** The source address, e.g. 127.0.5.9 (every 127.x address reaches the gateway on Linux). */
  readonly localAddress?: string;
}

export interface RunningGateway {
  readonly process: ServiceProcess;
  readonly port: number;
  readonly url: string;
}

export class GatewayStack {
  private readonly processes: ServiceProcess[] = [];

  private constructor(
    readonly environment: ServiceTestEnvironment,
    readonly cli: BusClient,
    readonly ca: string,
    readonly gateway: RunningGateway,
  ) {}

  /** Bus, keys, storage and one gateway (its settings from `gatewayEnv`, AICO_GATEWAY__*), ready to serve. */
  static async start(gatewayEnv: NodeJS.ProcessEnv = {}): Promise<GatewayStack> {
    const environment = await createServiceTestEnvironment('tcp', { AICO_LOG__LEVEL: 'info', AICO_LOG__FILE: 'false', AICO_BUS__HEARTBEAT_INTERVAL_MS: '250' });
    const started: ServiceProcess[] = [];
    const start = async (name: string, env: NodeJS.ProcessEnv = {}) => {
      const child = new ServiceProcess(name, builtApp(name), [], { ...environment.env, ...env });
      started.push(child);
      await child.waitForMessage(`${name} ready`, 30_000);
      return child;
    };
    try {
      await start('bus');
      await Promise.all([start('keys'), start('storage')]);
      const port = await freeTcpPort();
      const gateway = await start('gateway', { AICO_GATEWAY__PORT: String(port), ...gatewayEnv });
      const cli = createTestClient('cli', environment.keys, environment.endpoints);
      await cli.connect();
      await requestWhenRoutable((timeoutMs) => cli.request(StorageTopics.databaseCheck, {}, { timeoutMs }));
      const ca = await readFile(join(environment.dir, 'gateway', 'tls-cert.pem'), 'utf8');
      const stack = new GatewayStack(environment, cli, ca, { process: gateway, port, url: `https://127.0.0.1:${port}` });
      stack.processes.push(...started);
      return stack;
    } catch (error) {
      for (const child of started) child.signal('SIGKILL');
      await environment.cleanup();
      throw error;
    }
  }

  /** Another gateway on the same bus and storage, with its own port and settings. */
  async startGateway(name: string, gatewayEnv: NodeJS.ProcessEnv): Promise<RunningGateway> {
    const port = await freeTcpPort();
    const child = new ServiceProcess(name, builtApp('gateway'), [], { ...this.environment.env, AICO_GATEWAY__PORT: String(port), ...gatewayEnv });
    this.processes.push(child);
    await child.waitForMessage('gateway ready', 30_000);
    return { process: child, port, url: `https://127.0.0.1:${port}` };
  }

  /** Puts a user straight into storage (as `aico users add` does), with a real Argon2id hash. */
  async putUser(id: string, password: string, role: 'admin' | 'user' | 'guest' = 'user'): Promise<void> {
    await new StorageClient(this.cli).putRecord({ kind: { case: 'user', value: { id, username: id, role, passwordHash: await hashUserPassword(password) } } });
  }

  call(method: string, path: string, options: GatewayRequest = {}, url = this.gateway.url): Promise<GatewayResponse> {
    return gatewayCall(url, this.ca, method, path, options);
  }

  async login(username: string, password: string, options: Omit<GatewayRequest, 'json'> = {}): Promise<{ accessToken: string; refreshToken: string }> {
    const response = await this.call('POST', '/api/v1/auth/login', { ...options, json: { username, password } });
    if (response.status !== 200) throw new Error(`login of ${username} answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body as { accessToken: string; refreshToken: string };
  }

  async stop(): Promise<void> {
    await this.cli.close({ drainTimeoutMs: 0 });
    for (const child of this.processes) child.signal('SIGKILL');
    await Promise.all(this.processes.map((child) => child.exited));
    await this.environment.cleanup();
  }
}

export function gatewayCall(url: string, ca: string, method: string, path: string, options: GatewayRequest = {}): Promise<GatewayResponse> {
  const body = options.raw ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      `${url}${path}`,
      {
        method,
        ca,
        agent: false,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
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
