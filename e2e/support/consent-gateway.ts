// The real gateway beside a conversation stack, for the tests that need consent as a user gives it: users put into
// storage (as `aico users add` does), logins over HTTPS, and `PUT /consent/<purpose>`, which records the decision in
// storage, announces it (`privacy.consent.changed`) and answers the conversation service's `privacy.consent.check`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BusClient } from '@aico/bus';
import { createTestClient, freeTcpPort } from '@aico/bus/testing';
import { hashUserPassword } from '@aico/key-manager';
import { StorageClient } from '@aico/storage-client';
import type { ConversationStack } from './conversation-stack';
import { GatewayClient } from './gateway-client';
import type { ServiceProcess } from './service-process';
import { SIGNAL_TIMEOUT_MS } from './timing';

export class ConsentGateway {
  private constructor(
    readonly process: ServiceProcess,
    readonly api: GatewayClient,
    private readonly cli: BusClient,
    private readonly users: StorageClient,
  ) {}

  /** Starts the gateway app in the stack's environment (on a free port) and a CLI client to add users. */
  static async start(stack: ConversationStack, env: NodeJS.ProcessEnv = {}): Promise<ConsentGateway> {
    const port = await freeTcpPort();
    const child = await stack.models.startApp('gateway', { AICO_GATEWAY__PORT: String(port), ...env });
    const { environment } = stack.models;
    const ca = await readFile(join(environment.dir, 'gateway', 'tls-cert.pem'), 'utf8');
    const cli = createTestClient('cli', environment.keys, environment.endpoints);
    await cli.connect();
    return new ConsentGateway(child, new GatewayClient(`https://127.0.0.1:${port}`, ca), cli, new StorageClient(cli, { deadlineMs: SIGNAL_TIMEOUT_MS }));
  }

  /** A user who can log in, and their access token. */
  async user(id: string, password: string): Promise<string> {
    await this.users.putRecord({ kind: { case: 'user', value: { id, username: id, role: 'user', passwordHash: await hashUserPassword(password) } } });
    const response = await this.api.call('POST', '/api/v1/auth/login', { json: { username: id, password } });
    if (response.status !== 200) throw new Error(`login of ${id} answered ${response.status}: ${JSON.stringify(response.body)}`);
    return (response.body as { accessToken: string }).accessToken;
  }

  /** Grants or withdraws a purpose as the user does in the web client (throws unless 200). */
  async consent(token: string, purpose: string, granted: boolean): Promise<void> {
    const response = await this.api.call('PUT', `/api/v1/consent/${purpose}`, { token, json: { granted } });
    if (response.status !== 200) throw new Error(`PUT /consent/${purpose} answered ${response.status}: ${JSON.stringify(response.body)}`);
  }

  async stop(): Promise<void> {
    await this.cli.close({ drainTimeoutMs: 0 }).catch(() => undefined);
  }
}
