// The gateway serving front ends on its own origin, with real processes (bus, keys, storage, gateway) over HTTPS: the
// web client (its page for every route of it, hashed assets cached for good, a strict CSP), the avatar page at
// /embed/avatar/ (framable by this origin only), and a gateway started without a built web client. Every answer is
// checked against its route's declared response schema (gateway.validateResponses). Apart from gateway.e2e-spec.ts
// (logins, tokens, sessions, WebSockets), whose stack has no web client to serve: these tests need no users.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GatewayClient } from '../support/gateway-client';
import { GatewayStack, STACK_START_TIMEOUT_MS } from '../support/gateway-stack';

const INDEX_HTML = '<!doctype html><html><head><script type="module" src="/assets/app-abc123.js"></script></head><body><div id="root"></div></body></html>';
const APP_JS = 'console.log("aico web");';
const AVATAR_HTML = '<!doctype html><html><head><script type="module" src="/embed/avatar/assets/avatar-def456.js"></script></head><body></body></html>';

describe('gateway serving the web client and the avatar page on its own origin', () => {
  let stack: GatewayStack;
  let api: GatewayClient;
  let webRoot: string;
  let avatarRoot: string;

  beforeAll(async () => {
    // A built web client in miniature: index.html and one hashed asset.
    webRoot = await mkdtemp(join(tmpdir(), 'aico-web-'));
    await mkdir(join(webRoot, 'assets'));
    await writeFile(join(webRoot, 'index.html'), INDEX_HTML);
    await writeFile(join(webRoot, 'assets', 'app-abc123.js'), APP_JS);
    // And the avatar page in miniature.
    avatarRoot = await mkdtemp(join(tmpdir(), 'aico-avatar-'));
    await mkdir(join(avatarRoot, 'assets'));
    await writeFile(join(avatarRoot, 'index.html'), AVATAR_HTML);
    await writeFile(join(avatarRoot, 'assets', 'avatar-def456.js'), APP_JS);
    stack = await GatewayStack.start({
      AICO_GATEWAY__WEB_ROOT: webRoot,
      AICO_GATEWAY__AVATAR_ROOT: avatarRoot,
      AICO_GATEWAY__VALIDATE_RESPONSES: 'true',
    });
    api = stack.api;
  }, STACK_START_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
    if (webRoot) await rm(webRoot, { recursive: true, force: true });
    if (avatarRoot) await rm(avatarRoot, { recursive: true, force: true });
  });

  it('serves the web client on its own origin: the page for every route of it, hashed assets cached for good, the API untouched', async () => {
    const page = await api.call('GET', '/', { headers: { accept: 'text/html' } });
    expect(page).toMatchObject({ status: 200, body: INDEX_HTML });
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['cache-control']).toBe('no-cache');
    const csp = String(page.headers['content-security-policy']);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data: blob:",
      "connect-src 'self'",
      "worker-src 'self' blob:",
      "object-src 'none'",
      "base-uri 'self'",
      "frame-ancestors 'none'",
    ]) {
      expect(csp.split(';')).toContain(directive);
    }
    // A page of the client, reloaded: index.html, whose router draws it.
    expect(await api.call('GET', '/status', { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } })).toMatchObject({
      status: 200,
      body: INDEX_HTML,
    });
    expect(await api.call('GET', '/privacy', { headers: { accept: 'text/html' } })).toMatchObject({ status: 200, body: INDEX_HTML });
    const asset = await api.call('GET', '/assets/app-abc123.js');
    expect(asset).toMatchObject({ status: 200, body: APP_JS });
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-type']).toContain('javascript');
    for (const path of ['/assets/missing.js', '/status'])
      expect(await api.call('GET', path)).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(await api.call('GET', '/assets/missing.js', { headers: { accept: 'text/html' } })).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_FOUND' } },
    });
    const unknownApi = await api.call('GET', '/api/v1/nope', { headers: { accept: 'text/html' } });
    expect(unknownApi).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND', requestId: expect.any(String) } } });
    expect(unknownApi.headers['content-type']).toContain('application/json');
  });

  it('serves the avatar page at /embed/avatar/, framable by this origin only and able to load a model the host hands it', async () => {
    expect(await api.call('GET', '/embed/avatar')).toMatchObject({ status: 308 });
    const page = await api.call('GET', '/embed/avatar/', { headers: { accept: 'text/html' } });
    expect(page).toMatchObject({ status: 200, body: AVATAR_HTML });
    const csp = String(page.headers['content-security-policy']).split(';');
    expect(csp).toContain("frame-ancestors 'self'");
    expect(csp).toContain("connect-src 'self' blob: data:");
    expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(await api.call('GET', '/embed/avatar/anything', { headers: { accept: 'text/html' } })).toMatchObject({ status: 200, body: AVATAR_HTML });
    const asset = await api.call('GET', '/embed/avatar/assets/avatar-def456.js');
    expect(asset).toMatchObject({ status: 200, body: APP_JS });
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(await api.call('GET', '/embed/avatar/assets/missing.js')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    // The web client itself stays unframable.
    expect(String((await api.call('GET', '/', { headers: { accept: 'text/html' } })).headers['content-security-policy'])).toContain("frame-ancestors 'none'");
  });

  it('starts without a built web client: one warning naming the path, the page says how to build it, the API works', async () => {
    const missing = join(webRoot, 'not-built');
    const bare = await stack.startGateway('gateway-without-web', { AICO_GATEWAY__WEB_ROOT: missing });
    try {
      expect(
        await bare.process.waitForMessage(
          'The web client is not built (no index.html in its root): the API works, its page answers 404 until "npx nx build web"',
        ),
      ).toMatchObject({ root: missing });
      const other = bare.api;
      const page = await other.call('GET', '/', { headers: { accept: 'text/html' } });
      expect(page).toMatchObject({ status: 404, body: { error: { code: 'WEB_CLIENT_NOT_BUILT', message: expect.stringContaining('npx nx build web') } } });
      expect(await other.call('GET', '/api/v1/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
      expect((await other.call('GET', '/api/v1/nope')).body.error.code).toBe('NOT_FOUND');
    } finally {
      bare.process.signal('SIGKILL');
      await bare.process.exited;
    }
  });
});
