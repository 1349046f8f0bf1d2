// The gateway with what it needs (bus, keys, storage) as real child processes in a throwaway environment, for every
// e2e test of the gateway: users put straight into storage (as `aico users add` does), logins and refreshes over
// HTTPS, WebSockets, access tokens signed with the test's own copy of the signing key (to choose their claims and
// expiry), and more gateways on the same bus with settings of their own. Every wait is for a signal (a log line, an
// answer) with the deadlines of ./timing, and the apps get LOAD_TOLERANT_ENV, so a loaded machine is only slower.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, decodeJwt } from 'jose';
import { type BusClient } from '@aico/bus';
import { createTestClient, freeTcpPort, requestWhenRoutable } from '@aico/bus/testing';
import { StorageTopics } from '@aico/contracts';
import { hashUserPassword } from '@aico/key-manager';
import { createServiceTestEnvironment, type ServiceTestEnvironment } from '@aico/service/testing';
import { StorageClient } from '@aico/storage-client';
import { APPS_BUILD_DIR, appEntryPoint } from './build-output';
import { GatewayClient, type GatewayRequest, type GatewayResponse, type TestSocket } from './gateway-client';
import { ServiceProcess } from './service-process';
import { LOAD_TOLERANT_ENV, SIGNAL_TIMEOUT_MS } from './timing';

/** Where `node tools/build/build-node-app.mjs <name>` puts an app's entry point. */
export const builtApp = (name: string) => appEntryPoint(APPS_BUILD_DIR, name);

/** Starting bus, keys, storage and a gateway, one signal after another: the budget of a test file's beforeAll. */
export const STACK_START_TIMEOUT_MS = 4 * SIGNAL_TIMEOUT_MS;

export interface Tokens {
  readonly accessToken: string;
  readonly refreshToken: string;
}

export interface RunningGateway {
  readonly process: ServiceProcess;
  readonly port: number;
  readonly url: string;
  /** A client of this gateway. */
  readonly api: GatewayClient;
}

export interface TokenClaims {
  readonly sub: string;
  readonly sid: string;
  readonly role?: string;
}

export class GatewayStack {
  /** Every process started, by name (bus, keys, storage, gateway and any other gateway). */
  readonly processes = new Map<string, ServiceProcess>();
  /** Storage as the CLI reaches it, with a deadline a loaded machine meets. */
  readonly storage: StorageClient;

  private constructor(
    readonly environment: ServiceTestEnvironment,
    /** A bus client with the CLI's identity. */
    readonly bus: BusClient,
    /** The gateway's own certificate (PEM), which clients here trust and nothing else. */
    readonly ca: string,
    readonly gateway: RunningGateway,
  ) {
    this.storage = new StorageClient(bus, { deadlineMs: SIGNAL_TIMEOUT_MS });
  }

  /**
   * Bus, keys, storage and one gateway, ready to serve. `gatewayEnv` (AICO_GATEWAY__* and any other AICO_* setting)
   * goes to that gateway alone; a gateway started later with startGateway() has only its own settings.
   * `everyAppEnv` goes to every app (log level and files, storage settings).
   */
  static async start(gatewayEnv: NodeJS.ProcessEnv = {}, everyAppEnv: NodeJS.ProcessEnv = {}): Promise<GatewayStack> {
    const environment = await createServiceTestEnvironment('tcp', {
      ...LOAD_TOLERANT_ENV,
      AICO_LOG__LEVEL: 'info',
      AICO_LOG__FILE: 'false',
      AICO_BUS__HEARTBEAT_INTERVAL_MS: '250',
      ...everyAppEnv,
    });
    const processes = new Map<string, ServiceProcess>();
    const start = async (name: string, env: NodeJS.ProcessEnv = {}) => {
      const child = new ServiceProcess(name, builtApp(name), [], { ...environment.env, ...env });
      processes.set(name, child);
      await child.waitForMessage(`${name} ready`);
      return child;
    };
    let bus: BusClient | undefined;
    try {
      await start('bus');
      await Promise.all([start('keys'), start('storage')]);
      const port = await freeTcpPort();
      const gateway = await start('gateway', { AICO_GATEWAY__PORT: String(port), ...gatewayEnv });
      bus = createTestClient('cli', environment.keys, environment.endpoints);
      await bus.connect();
      await requestWhenRoutable((timeoutMs) => bus!.request(StorageTopics.databaseCheck, {}, { timeoutMs }), SIGNAL_TIMEOUT_MS);
      const ca = await readFile(join(environment.dir, 'gateway', 'tls-cert.pem'), 'utf8');
      const url = `https://127.0.0.1:${port}`;
      const stack = new GatewayStack(environment, bus, ca, { process: gateway, port, url, api: new GatewayClient(url, ca) });
      for (const [name, child] of processes) stack.processes.set(name, child);
      return stack;
    } catch (error) {
      await bus?.close({ drainTimeoutMs: 0 });
      await killAll([...processes.values()]);
      await environment.cleanup();
      throw error;
    }
  }

  /** The client of the first gateway. */
  get api(): GatewayClient {
    return this.gateway.api;
  }

  process(name: string): ServiceProcess {
    const child = this.processes.get(name);
    if (!child) throw new Error(`no process named ${name} in this stack (${[...this.processes.keys()].join(', ')})`);
    return child;
  }

  /** Another gateway on the same bus and storage, with its own port and only these settings. */
  async startGateway(name: string, gatewayEnv: NodeJS.ProcessEnv = {}): Promise<RunningGateway> {
    if (this.processes.has(name)) throw new Error(`a process named ${name} runs already`);
    const port = await freeTcpPort();
    const child = new ServiceProcess(name, builtApp('gateway'), [], { ...this.environment.env, AICO_GATEWAY__PORT: String(port), ...gatewayEnv });
    this.processes.set(name, child);
    await child.waitForMessage('gateway ready');
    const url = `https://127.0.0.1:${port}`;
    return { process: child, port, url, api: new GatewayClient(url, this.ca) };
  }

  /** Puts a user straight into storage (as `aico users add` does), with a real Argon2id hash. */
  async putUser(id: string, password: string, role: 'admin' | 'user' | 'guest' = 'user'): Promise<void> {
    await this.storage.putRecord({ kind: { case: 'user', value: { id, username: id, role, passwordHash: await hashUserPassword(password) } } });
  }

  /** A request to the first gateway. */
  call(method: string, path: string, options: GatewayRequest = {}): Promise<GatewayResponse> {
    return this.api.call(method, path, options);
  }

  /** Logs in (throws unless the gateway answers 200). */
  async login(username: string, password: string, options: Omit<GatewayRequest, 'json'> & { client?: string } = {}): Promise<Tokens> {
    const { client, ...request } = options;
    const response = await this.call('POST', '/api/v1/auth/login', { ...request, json: { username, password, ...(client ? { client } : {}) } });
    if (response.status !== 200) throw new Error(`login of ${username} answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body as Tokens;
  }

  /** Rotates a refresh token (throws unless the gateway answers 200). */
  async refresh(tokens: Tokens): Promise<Tokens> {
    const response = await this.call('POST', '/api/v1/auth/refresh', { json: { refreshToken: tokens.refreshToken } });
    if (response.status !== 200) throw new Error(`refresh answered ${response.status}: ${JSON.stringify(response.body)}`);
    return response.body as Tokens;
  }

  /**
   * An access token signed as the gateway signs, with these claims; it expires at `expiresAt` (seconds since the
   * epoch, or a jose span such as '5m'), or never with null; issued at `issuedAt` (seconds, default now).
   */
  signToken(claims: TokenClaims, options: { readonly expiresAt?: number | string | null; readonly issuedAt?: number } = {}): Promise<string> {
    const { expiresAt = '5m', issuedAt = Math.floor(Date.now() / 1000) } = options;
    const token = new SignJWT({ role: claims.role ?? 'user', sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256', kid: 'v1' })
      .setSubject(claims.sub)
      .setIssuer('aico-gateway')
      .setAudience('aico')
      .setIssuedAt(issuedAt);
    return (expiresAt === null ? token : token.setExpirationTime(expiresAt)).sign(this.environment.keys.purposeKey('token-signing', 1));
  }

  /** An access token of the same user, role and session as `like`, expiring at `expiresAtSeconds`. */
  tokenLike(like: string, expiresAtSeconds: number): Promise<string> {
    const claims = decodeJwt(like) as { sub: string; role: string; sid: string };
    return this.signToken({ sub: claims.sub, sid: claims.sid, role: claims.role }, { expiresAt: expiresAtSeconds });
  }

  /** Opens a WebSocket to the first gateway with this token and waits until it is open. */
  connect(token: string): Promise<TestSocket> {
    return this.api.connect(token);
  }

  async stop(): Promise<void> {
    await this.bus.close({ drainTimeoutMs: 0 });
    await killAll([...this.processes.values()]);
    await this.environment.cleanup();
  }
}

async function killAll(processes: readonly ServiceProcess[]): Promise<void> {
  for (const child of processes) child.signal('SIGKILL');
  await Promise.all(processes.map((child) => child.exited));
}
