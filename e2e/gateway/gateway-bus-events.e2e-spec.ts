// The events the gateway hears on the bus, through the real bus and its Nest transport (@EventPattern handlers
// bound by ZmqServer): a token-signing key rotation announced by the keys service makes the gateway accept and sign
// with the new key version, and an app that stops on purpose is reported down for that reason on /health/ready.
import { SignJWT, decodeProtectedHeader } from 'jose';
import { KeyPurpose, SecurityTopics } from '@aico/contracts';
import { type GatewayClient } from '../support/gateway-client';
import { GatewayStack, STACK_START_TIMEOUT_MS } from '../support/gateway-stack';
import { eventually } from '../support/system-bus';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

const PASSWORD = 'correct horse battery staple';

describe('gateway hearing bus events (real bus, keys, storage and gateway processes)', () => {
  let stack: GatewayStack;
  let api: GatewayClient;

  beforeAll(async () => {
    stack = await GatewayStack.start();
    api = stack.api;
    await stack.putUser('ada', PASSWORD);
  }, STACK_START_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
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
    await eventually(async () => ((await api.call('GET', '/api/v1/consent', { token: v2Token })).status === 200 ? true : undefined), 'the gateway accepting a v2 token', SIGNAL_TIMEOUT_MS);
    const second = await stack.login('ada', PASSWORD);
    expect(decodeProtectedHeader(second.accessToken).kid).toBe('v2');
    // Tokens signed just before the rotation stay valid until they expire.
    expect((await api.call('GET', '/api/v1/consent', { token: first.accessToken })).status).toBe(200);
  });

  it('reports an app that stopped on purpose (system.service.stopping) as down for that reason on /health/ready', async () => {
    await eventually(async () => {
      const response = await api.call('GET', '/api/v1/health/ready');
      return response.status === 200 ? response : undefined;
    }, '/health/ready answering ready', SIGNAL_TIMEOUT_MS);
    await stack.process('storage').stop();
    const after = await eventually(async () => {
      const response = await api.call('GET', '/api/v1/health/ready');
      const storage = (response.body.apps as { service: string; reason: string }[]).find((entry) => entry.service === 'storage');
      return response.status === 503 && storage?.reason === 'announced it is stopping' ? response : undefined;
    }, '/health/ready answering 503 with storage announced as stopping', SIGNAL_TIMEOUT_MS);
    expect(after.body.missing).toContain('storage');
  });
});
