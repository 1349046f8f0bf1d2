// The events the gateway hears on the bus, through the real bus and its Nest transport (@EventPattern handlers
// bound by ZmqServer): a token-signing key rotation announced by the keys service makes the gateway accept and sign
// with the new key version, a finished restore (storage.backup.progress) drops the gateway's session cache so a
// token of a session the restore revoked stops at once, and an app that stops on purpose is reported down for that
// reason on /health/ready.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, decodeProtectedHeader } from 'jose';
import { KeyPurpose, SecurityTopics, StorageTopics } from '@aico/contracts';
import { type GatewayClient } from '../support/gateway-client';
import { GatewayStack, STACK_START_TIMEOUT_MS } from '../support/gateway-stack';
import { eventually } from '../support/system-bus';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

const PASSWORD = 'correct horse battery staple';

describe('gateway hearing bus events (real bus, keys, storage and gateway processes)', () => {
  let stack: GatewayStack;
  let api: GatewayClient;
  /** Backups go outside the data directory (storage refuses one inside what a restore replaces). */
  let backups: string;

  beforeAll(async () => {
    backups = await mkdtemp(join(tmpdir(), 'aico-gateway-backups-'));
    stack = await GatewayStack.start();
    api = stack.api;
    await stack.putUser('ada', PASSWORD);
  }, STACK_START_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
    if (backups) await rm(backups, { recursive: true, force: true });
  });

  it('follows a token-signing key rotation announced on security.keys.rotated: accepts and signs with v2, still accepts v1', async () => {
    const first = await stack.login('ada', PASSWORD);
    expect(decodeProtectedHeader(first.accessToken).kid).toBe('v1');
    const sid = first.refreshToken.split('.')[0]!;
    // A token of ada's open session under the next key version: the gateway must not know v2 before the rotation.
    const v2Token = await new SignJWT({ role: 'user', sid })
      .setProtectedHeader({ alg: 'HS256', kid: 'v2' })
      .setSubject('ada')
      .setIssuer('aico-gateway')
      .setAudience('aico')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(stack.environment.keys.purposeKey('token-signing', 2));
    expect((await api.call('GET', '/api/v1/consent', { token: v2Token })).body.error.code).toBe('TOKEN_INVALID');

    await stack.bus.request(SecurityTopics.rotate, { purpose: KeyPurpose.TOKEN_SIGNING, reason: 'e2e' }, { timeoutMs: SIGNAL_TIMEOUT_MS });

    // The announcement reaches the gateway on its own time: wait for the v2 token to be accepted.
    await eventually(
      async () => ((await api.call('GET', '/api/v1/consent', { token: v2Token })).status === 200 ? true : undefined),
      'the gateway accepting a v2 token',
      SIGNAL_TIMEOUT_MS,
    );
    const second = await stack.login('ada', PASSWORD);
    expect(decodeProtectedHeader(second.accessToken).kid).toBe('v2');
    // Tokens signed just before the rotation stay valid until they expire.
    expect((await api.call('GET', '/api/v1/consent', { token: first.accessToken })).status).toBe(200);
  });

  it('drops its session cache when a restore is done (storage.backup.progress): a session the restore revoked stops at once', async () => {
    const tokens = await stack.login('ada', PASSWORD);
    // Used once, so its session's validity is cached (for seconds) when the restore revokes it behind the gateway's back.
    expect((await api.call('GET', '/api/v1/consent', { token: tokens.accessToken })).status).toBe(200);
    const archive = join(backups, 'gateway-e2e.aico');
    await stack.bus.request(StorageTopics.backupCreate, { path: archive }, { timeoutMs: SIGNAL_TIMEOUT_MS });
    const forgotten = stack.gateway.process.waitForMessage(
      'A restore is done: cached session validity forgotten, every token is checked with storage again',
      SIGNAL_TIMEOUT_MS,
    );
    await stack.bus.request(StorageTopics.backupRestore, { path: archive }, { timeoutMs: SIGNAL_TIMEOUT_MS });
    // The signal that the gateway heard the restore's "done"; after it, the cache cannot answer for the session.
    await forgotten;
    expect((await api.call('GET', '/api/v1/consent', { token: tokens.accessToken })).body.error.code).toBe('SESSION_ENDED');
  });

  it('reports an app that stopped on purpose (system.service.stopping) as down for that reason on /health/ready', async () => {
    await eventually(
      async () => {
        const response = await api.call('GET', '/api/v1/health/ready');
        return response.status === 200 ? response : undefined;
      },
      '/health/ready answering ready',
      SIGNAL_TIMEOUT_MS,
    );
    await stack.process('storage').stop();
    const after = await eventually(
      async () => {
        const response = await api.call('GET', '/api/v1/health/ready');
        const storage = (response.body.apps as { service: string; reason: string }[]).find((entry) => entry.service === 'storage');
        return response.status === 503 && storage?.reason === 'announced it is stopping' ? response : undefined;
      },
      '/health/ready answering 503 with storage announced as stopping',
      SIGNAL_TIMEOUT_MS,
    );
    expect(after.body.missing).toContain('storage');
  });
});
