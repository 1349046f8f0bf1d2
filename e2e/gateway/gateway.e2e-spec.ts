// The gateway with real processes (bus, keys, storage, gateway) and real clients over HTTPS and WSS: logins and
// tokens, roles, refresh-token reuse, sessions ("log out everywhere"), WebSocket subscriptions and relayed bus events,
// bad input, a slow WebSocket client, and readiness that notices a killed app (the web client and the avatar page on
// the gateway's origin are web-origin.e2e-spec.ts). Every answer is checked against its route's declared response
// schema (gateway.validateResponses).
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { createTestClient, nextValue, requestWhenRoutable } from '@aico/bus/testing';
import { ActivityKind, ConversationTopics, GatewayTopics, LogLevel, MonitorTopics, StorageTopics, SystemTopics } from '@aico/contracts';
import { runAico } from '../support/aico-cli';
import { GatewayClient, type GatewayResponse } from '../support/gateway-client';
import { GatewayStack, STACK_START_TIMEOUT_MS } from '../support/gateway-stack';
import { WORKSPACE_ROOT } from '../support/service-process';
import { eventually } from '../support/system-bus';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

const ADMIN_PASSWORD = 'Admin-password-2026!';
const USER_PASSWORD = 'User-password-2026!';
const sessionIdOf = (tokens: { refreshToken: string }) => tokens.refreshToken.split('.')[0]!;
const HOUR = String(60 * 60_000);

describe('gateway with real processes over HTTPS and WSS', () => {
  let stack: GatewayStack;
  let api: GatewayClient;

  const login = (username: string, password: string) => stack.login(username, password);
  const storageUser = (id: string, password: string) => stack.putUser(id, password);
  const aico = (args: string[], input: string) => runAico(args, stack.environment.env, input);

  beforeAll(async () => {
    stack = await GatewayStack.start({
      AICO_GATEWAY__MAX_BODY_BYTES: '4096',
      AICO_GATEWAY__WS_MAX_BUFFERED_BYTES: '16384',
      AICO_GATEWAY__LOCKOUT_FREE_ATTEMPTS: '3',
      // A locked account stays locked for the rest of the file, and rate windows outlast it: nothing races the clock.
      AICO_GATEWAY__LOCKOUT_BASE_DELAY_MS: HOUR,
      AICO_GATEWAY__LOCKOUT_MAX_DELAY_MS: HOUR,
      AICO_GATEWAY__RATE_LIMIT_WINDOW_MS: HOUR,
      // Room for the logins of every test before the rate-limit test exhausts it (per client, and per account).
      AICO_GATEWAY__LOGIN_RATE_LIMIT_PER_MINUTE: '30',
      AICO_GATEWAY__LOGIN_RATE_LIMIT_PER_ACCOUNT: '100',
      AICO_GATEWAY__VALIDATE_RESPONSES: 'true',
    });
    api = stack.api;
    // The first administrator, made with the real `aico users add` (password on stdin), as a person would.
    expect(await aico(['users', 'add', 'ada', '--role', 'admin', '--password-stdin'], `${ADMIN_PASSWORD}\n`)).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('User ada (admin) created'),
    });
    expect(await aico(['users', 'add', 'Ada', '--password-stdin'], `${ADMIN_PASSWORD}\n`)).toMatchObject({
      code: 73,
      stderr: expect.stringContaining('exists already'),
    });
    await storageUser('bob', USER_PASSWORD);
  }, STACK_START_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
  });

  it('serves only with its own certificate, and liveness without a token', async () => {
    const live = await api.call('GET', '/api/v1/health');
    expect(live).toMatchObject({ status: 200, body: { status: 'ok', service: 'gateway' } });
    expect(live.headers['strict-transport-security']).toContain('max-age=');
    expect(live.headers['x-content-type-options']).toBe('nosniff');
    expect(live.headers['access-control-allow-origin']).toBeUndefined();
    await expect(new GatewayClient(api.url, '').call('GET', '/api/v1/health')).rejects.toThrow(/self.signed|certificate/i);
    // `aico status` names the running services and the fingerprint a front end pins. It gives each service a short
    // deadline to answer, which a loaded machine can miss: asked again until all three are up.
    type StatusReport = { services: { service: string; up: boolean }[]; gateway: { fingerprintSha256: string } };
    const report = await eventually(
      async () => {
        const status = await aico(['status', '--json'], '');
        if (status.code !== 0) throw new Error(`aico status exited ${status.code}: ${status.stderr}`);
        const parsed = JSON.parse(status.stdout) as StatusReport;
        const up = parsed.services.filter((entry) => entry.up).map((entry) => entry.service);
        return ['gateway', 'keys', 'storage'].every((service) => up.includes(service)) ? parsed : undefined;
      },
      'aico status naming gateway, keys and storage as up',
      SIGNAL_TIMEOUT_MS,
    );
    expect(report.gateway.fingerprintSha256).toBe(new X509Certificate(stack.ca).fingerprint256);
  });

  it('logs in, lets the role through to what it may do, and answers 403 for what it may not', async () => {
    const admin = await login('ada', ADMIN_PASSWORD);
    const users = await api.call('GET', '/api/v1/users', { token: admin.accessToken });
    expect(users.status).toBe(200);
    expect(users.body.users.map((user: { id: string }) => user.id)).toEqual(['ada', 'bob']);
    expect(JSON.stringify(users.body)).not.toContain('argon2');

    const bob = await login('bob', USER_PASSWORD);
    const forbidden = await api.call('GET', '/api/v1/users', { token: bob.accessToken });
    expect(forbidden).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
    expect((await api.call('GET', '/api/v1/system/status', { token: bob.accessToken })).status).toBe(200);
    expect((await api.call('GET', '/api/v1/logs', { token: bob.accessToken })).status).toBe(403);
    expect((await api.call('GET', '/api/v1/users')).body.error.code).toBe('TOKEN_MISSING');
  });

  it('refuses expired and tampered tokens with 401', async () => {
    const bob = await login('bob', USER_PASSWORD);
    const [header, payload, signature] = bob.accessToken.split('.');
    const tampered = `${header}.${payload}.${signature!.slice(0, -2)}${signature!.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await api.call('GET', '/api/v1/consent', { token: tampered })).body.error.code).toBe('TOKEN_INVALID');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as { sid: string };
    const now = Math.floor(Date.now() / 1000);
    const expired = await stack.signToken({ sub: 'bob', sid: claims.sid }, { issuedAt: now - 3600, expiresAt: now - 60 });
    const response = await api.call('GET', '/api/v1/consent', { token: expired });
    expect(response).toMatchObject({ status: 401, body: { error: { code: 'TOKEN_EXPIRED' } } });
    // The same claims signed with another key (a forged token) are refused.
    const forged = await new SignJWT({ role: 'admin', sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256', kid: 'v1' })
      .setSubject('bob')
      .setIssuer('aico-gateway')
      .setAudience('aico')
      .setExpirationTime('5m')
      .sign(new Uint8Array(32));
    expect((await api.call('GET', '/api/v1/users', { token: forged })).body.error.code).toBe('TOKEN_INVALID');
  });

  it('rotates refresh tokens, and a reused one ends every session of the user', async () => {
    const first = await login('bob', USER_PASSWORD);
    const other = await login('bob', USER_PASSWORD);
    const rotated = await api.call('POST', '/api/v1/auth/refresh', { json: { refreshToken: first.refreshToken } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.refreshToken).not.toBe(first.refreshToken);
    const reused = await api.call('POST', '/api/v1/auth/refresh', { json: { refreshToken: first.refreshToken } });
    expect(reused).toMatchObject({ status: 401, body: { error: { code: 'REFRESH_REUSED' } } });
    expect((await api.call('POST', '/api/v1/auth/refresh', { json: { refreshToken: rotated.body.refreshToken } })).status).toBe(401);
    expect((await api.call('GET', '/api/v1/consent', { token: other.accessToken })).body.error.code).toBe('SESSION_ENDED');
    expect((await api.call('GET', '/api/v1/consent', { token: rotated.body.accessToken })).body.error.code).toBe('SESSION_ENDED');
  });

  it('logs out (the token stops working) and locks an account after repeated wrong passwords', async () => {
    const session = await login('bob', USER_PASSWORD);
    expect((await api.call('POST', '/api/v1/auth/logout', { token: session.accessToken })).status).toBe(204);
    expect((await api.call('GET', '/api/v1/consent', { token: session.accessToken })).body.error.code).toBe('SESSION_ENDED');
    await storageUser('eve', 'Eve-password-2026!');
    for (let i = 0; i < 3; i++)
      expect((await api.call('POST', '/api/v1/auth/login', { json: { username: 'eve', password: 'wrong-password' } })).body.error.code).toBe(
        'INVALID_CREDENTIALS',
      );
    const locked = await api.call('POST', '/api/v1/auth/login', { json: { username: 'eve', password: 'Eve-password-2026!' } });
    expect(locked).toMatchObject({ status: 429, body: { error: { code: 'ACCOUNT_LOCKED' } } });
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('refuses bad input in one error shape: malformed JSON, oversize bodies, wrong content types, unknown fields', async () => {
    const bad = [
      [await api.call('POST', '/api/v1/auth/login', { raw: '{"username": "ada", ' }), 400, 'MALFORMED_JSON'],
      [await api.call('POST', '/api/v1/auth/login', { raw: JSON.stringify({ username: 'ada', password: 'x'.repeat(5000) }) }), 413, 'BODY_TOO_LARGE'],
      [await api.call('POST', '/api/v1/auth/login', { raw: 'username=ada', contentType: 'application/x-www-form-urlencoded' }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      [await api.call('POST', '/api/v1/auth/login', { json: { username: 'ada', password: 'x', admin: true } }), 400, 'INVALID_BODY'],
      [await api.call('GET', '/api/v1/no/such/route'), 404, 'NOT_FOUND'],
    ] as const;
    for (const [response, status, code] of bad) {
      expect(response).toMatchObject({ status, body: { error: { code, message: expect.any(String), requestId: expect.any(String) } } });
    }
    expect(bad[3][0].body.error.message).toContain('Unrecognized key: "admin"');
  });

  it('publishes an OpenAPI document of every route with its access rule and body schema', async () => {
    const document = (await api.call('GET', '/api/v1/openapi.json')).body;
    expect(document.openapi).toBe('3.1.0');
    const login = document.paths['/api/v1/auth/login'].post;
    expect(login).toMatchObject({ 'x-aico-access': 'public', security: [] });
    expect(login.requestBody.content['application/json'].schema).toMatchObject({ required: ['username', 'password'], additionalProperties: false });
    expect(document.paths['/api/v1/users/{id}'].patch['x-aico-access']).toBe('users.manage');
    expect(document.paths['/api/v1/logs'].get.parameters.map((parameter: { name: string }) => parameter.name)).toContain('minLevel');
    expect(Object.keys(document.paths).length).toBeGreaterThanOrEqual(12);
    expect(document.paths['/api/v1/auth/sessions'].get.responses['200'].content['application/json'].schema).toMatchObject({ required: ['sessions'] });
    // The served document is the committed one (tools/scripts/api-check.mjs writes it from the same controllers).
    expect(document).toEqual(JSON.parse(await readFile(join(WORKSPACE_ROOT, 'apps/gateway/openapi.json'), 'utf8')));
  });

  it("lists the caller's sessions, ends one (its token and WebSocket stop at once), hides other users' sessions, and logs out everywhere", async () => {
    await storageUser('dave', USER_PASSWORD);
    const loginAs = (client: string) => stack.login('dave', USER_PASSWORD, { client });
    const laptop = await loginAs('web');
    const phone = await loginAs('cli');
    const listed = await api.call('GET', '/api/v1/auth/sessions', { token: laptop.accessToken });
    expect(listed.status).toBe(200);
    const sessions = listed.body.sessions as { id: string; client: string; current: boolean; createdAt: string; expiresAt: string }[];
    expect(sessions.map((session) => [session.id, session.client, session.current])).toEqual([
      [sessionIdOf(laptop), 'web', true],
      [sessionIdOf(phone), 'cli', false],
    ]);
    expect(Date.parse(sessions[0]!.expiresAt)).toBeGreaterThan(Date.parse(sessions[0]!.createdAt));

    const { closed } = await stack.connect(phone.accessToken);
    expect((await api.call('DELETE', `/api/v1/auth/sessions/${sessionIdOf(phone)}`, { token: laptop.accessToken })).status).toBe(204);
    // Closed now, not at the next heartbeat (30 s here).
    expect(await closed).toBe(4001);
    expect(await api.call('GET', '/api/v1/consent', { token: phone.accessToken })).toMatchObject({ status: 401, body: { error: { code: 'SESSION_ENDED' } } });
    expect((await api.call('GET', '/api/v1/auth/sessions', { token: laptop.accessToken })).body.sessions.map((session: { id: string }) => session.id)).toEqual([
      sessionIdOf(laptop),
    ]);

    // Another user's session answers as an unknown one does, and stays open.
    const bob = await login('bob', USER_PASSWORD);
    const foreign = await api.call('DELETE', `/api/v1/auth/sessions/${sessionIdOf(bob)}`, { token: laptop.accessToken });
    const unknown = await api.call('DELETE', '/api/v1/auth/sessions/00000000-0000-4000-8000-000000000000', { token: laptop.accessToken });
    expect(foreign).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect((await api.call('GET', '/api/v1/consent', { token: bob.accessToken })).status).toBe(200);

    const tablet = await loginAs('web');
    const everywhere = await api.call('POST', '/api/v1/auth/logout-all', { token: laptop.accessToken });
    expect(everywhere).toMatchObject({ status: 200, body: { ended: 2 } });
    for (const tokens of [laptop, tablet])
      expect((await api.call('GET', '/api/v1/auth/sessions', { token: tokens.accessToken })).body.error.code).toBe('SESSION_ENDED');
    expect((await api.call('POST', '/api/v1/auth/refresh', { json: { refreshToken: tablet.refreshToken } })).status).toBe(401);
    expect((await api.call('GET', '/api/v1/consent', { token: bob.accessToken })).status).toBe(200);
  });

  it('asks the conversation service to take a message for the caller, under the correlation id it returns', async () => {
    const bob = await login('bob', USER_PASSWORD);
    // The conversation service at the edge: what the gateway sends it.
    const conversation = createTestClient('conversation', stack.environment.keys, stack.environment.endpoints);
    const asked: { correlationId: string; userId: string; text: string }[] = [];
    conversation.handle(ConversationTopics.messageSend, (request) => {
      asked.push({ correlationId: request.correlationId, userId: request.payload.userId, text: request.payload.text });
      return {
        thread: { id: 't1', ownerId: request.payload.userId, title: request.payload.text },
        message: { id: 'm1', threadId: 't1', text: request.payload.text },
        replyId: 'r1',
      };
    });
    await conversation.connect();
    try {
      await requestWhenRoutable(
        (timeoutMs) => stack.bus.request(ConversationTopics.messageSend, { userId: 'probe', text: 'probe' }, { timeoutMs }),
        SIGNAL_TIMEOUT_MS,
      );
      const sent = await api.call('POST', '/api/v1/conversation/messages', { token: bob.accessToken, json: { text: 'Hello, aico' } });
      expect(sent).toMatchObject({ status: 202, body: { threadId: 't1', messageId: 'm1', replyId: 'r1' } });
      expect(asked.at(-1)).toEqual({ correlationId: sent.body.correlationId, userId: 'bob', text: 'Hello, aico' });
    } finally {
      await conversation.close({ drainTimeoutMs: 0 });
    }
  });

  it('reports user activity to the monitor (ui.activity.reported) for authenticated requests', async () => {
    await storageUser('carol', USER_PASSWORD);
    const carol = await login('carol', USER_PASSWORD);
    const observer = createTestClient('monitor', stack.environment.keys, stack.environment.endpoints);
    await observer.connect();
    try {
      const reported = nextValue<{ client: string; kind: number }>(
        (resolve) =>
          observer.subscribe(MonitorTopics.activityReported, (event) => {
            if (event.payload.client === 'api:carol') resolve(event.payload);
          }),
        SIGNAL_TIMEOUT_MS,
        "carol's activity report",
      );
      await requestWhenRoutable((timeoutMs) => observer.request(StorageTopics.databaseCheck, {}, { timeoutMs }), SIGNAL_TIMEOUT_MS);
      expect((await api.call('GET', '/api/v1/consent', { token: carol.accessToken })).status).toBe(200);
      expect(await reported).toMatchObject({ client: 'api:carol', kind: ActivityKind.INPUT });
    } finally {
      await observer.close({ drainTimeoutMs: 0 });
    }
  });

  it('authenticates WebSockets, refuses forbidden topics, and relays permitted bus events as JSON', async () => {
    expect((await api.refusedUpgrade(undefined)).status).toBe(401);
    const bob = await login('bob', USER_PASSWORD);
    const { socket, frames } = await stack.connect(bob.accessToken);
    expect(socket.protocol).toBe('aico.v1');
    socket.send(JSON.stringify({ type: 'subscribe', topic: 'system.log.', id: 'a' }));
    expect(await frames.next((frame) => frame['id'] === 'a')).toMatchObject({ type: 'error', code: 'FORBIDDEN_TOPIC' });
    socket.send(JSON.stringify({ type: 'publish', topic: 'system.service.shutdown', payload: {}, id: 'b' }));
    expect(await frames.next((frame) => frame['id'] === 'b')).toMatchObject({ type: 'error', code: 'FORBIDDEN_TOPIC' });
    socket.send(JSON.stringify({ type: 'subscribe', topic: 'privacy.', id: 'c' }));
    expect(await frames.next((frame) => frame['id'] === 'c')).toMatchObject({ type: 'subscribed', topic: 'privacy.' });
    const granted = await api.call('PUT', '/api/v1/consent/voice', { token: bob.accessToken, json: { granted: true } });
    expect(granted).toMatchObject({ status: 200, body: { purpose: 'voice', granted: true } });
    const event = await frames.next((frame) => frame['type'] === 'event');
    expect(event).toMatchObject({ topic: 'privacy.consent.changed', source: 'gateway', payload: { userId: 'bob', purpose: 'voice', granted: true } });
    // Services that need a purpose ask the gateway; non-essential purposes start denied.
    const check = (purpose: string) => stack.bus.request(GatewayTopics.consentCheck, { userId: 'bob', purpose }, { timeoutMs: SIGNAL_TIMEOUT_MS });
    await expect(check('voice')).resolves.toMatchObject({ granted: true, essential: false });
    await expect(check('telemetry')).resolves.toMatchObject({ granted: false });
    socket.send('not json');
    expect(await frames.next((frame) => frame['code'] === 'MALFORMED_FRAME')).toMatchObject({ type: 'error' });
    socket.close();
  });

  it("relays an event about one user to that user's WebSockets only", async () => {
    const [ada, bob] = await Promise.all([login('ada', ADMIN_PASSWORD), login('bob', USER_PASSWORD)]);
    const [{ socket: adaSocket, frames: adaFrames }, { socket: bobSocket, frames: bobFrames }] = await Promise.all([
      stack.connect(ada.accessToken),
      stack.connect(bob.accessToken),
    ]);
    adaSocket.send(JSON.stringify({ type: 'subscribe', topic: 'ui.avatar.', id: 's' }));
    bobSocket.send(JSON.stringify({ type: 'subscribe', topic: 'ui.avatar.', id: 's' }));
    await Promise.all([adaFrames.next((frame) => frame['id'] === 's'), bobFrames.next((frame) => frame['id'] === 's')]);
    const speak = (socket: typeof adaSocket, text: string) =>
      socket.send(JSON.stringify({ type: 'publish', topic: 'ui.avatar.speak', payload: { text, userId: 'someone-else' } }));
    // Whatever user id the payload claims, it is the sender's, and only the sender's connections hear it.
    speak(adaSocket, 'for ada only');
    expect(await adaFrames.next((frame) => frame['type'] === 'event')).toMatchObject({
      topic: 'ui.avatar.speak',
      payload: { text: 'for ada only', userId: 'ada' },
    });
    speak(bobSocket, 'for bob only');
    expect(await bobFrames.next((frame) => frame['type'] === 'event')).toMatchObject({
      topic: 'ui.avatar.speak',
      payload: { text: 'for bob only', userId: 'bob' },
    });
    expect(bobFrames.frames.filter((frame) => frame['type'] === 'event').map((frame) => (frame['payload'] as { text: string }).text)).toEqual(['for bob only']);
    adaSocket.close();
    bobSocket.close();
  });

  it('drops a WebSocket client that never reads instead of buffering for it', async () => {
    const admin = await login('ada', ADMIN_PASSWORD);
    const { socket, frames } = await stack.connect(admin.accessToken);
    socket.send(JSON.stringify({ type: 'subscribe', topic: 'system.log.', id: 's' }));
    await frames.next((frame) => frame['id'] === 's');
    // Stop reading: the kernel buffers fill, then the gateway's send buffer grows past its limit.
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const gateway = stack.gateway.process;
    const flood = createTestClient('scheduler', stack.environment.keys, stack.environment.endpoints);
    await flood.connect();
    try {
      const dropped = gateway.waitForMessage('Dropping a WebSocket client that does not keep up');
      const text = 'x'.repeat(2_000);
      let stop = false;
      void dropped.then(() => (stop = true));
      for (let i = 0; i < 20_000 && !stop; i++) {
        await flood.publish(SystemTopics.logEntry, { service: 'scheduler', level: LogLevel.INFO, message: `${i} ${text}` });
        if (i % 200 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      expect((await dropped).bufferedBytes).toBeGreaterThan(16_384);
      // The gateway stays healthy for everyone else.
      expect((await api.call('GET', '/api/v1/health')).status).toBe(200);
    } finally {
      await flood.close({ drainTimeoutMs: 0 });
      socket.terminate();
    }
  });

  it('rate-limits logins per client (after every other login of this file)', async () => {
    const statuses: number[] = [];
    let limited: { status: number; body: { error: { code: string } }; headers: Record<string, unknown> } | undefined;
    // Different usernames each time, so the per-account lockout is not what answers.
    for (let i = 0; i < 40 && !limited; i++) {
      const response = await api.call('POST', '/api/v1/auth/login', { json: { username: `nobody-${i}`, password: 'wrong-password' } });
      statuses.push(response.status);
      if (response.status === 429) limited = response;
    }
    expect(limited).toMatchObject({ status: 429, body: { error: { code: 'RATE_LIMITED' } } });
    expect(statuses.filter((status) => status === 401).length).toBeGreaterThan(0);
    // Other routes have their own allowance.
    expect((await api.call('GET', '/api/v1/health')).status).toBe(200);
  });

  it('reports an app as down on /health/ready once its heartbeats stop (it was killed)', async () => {
    // Readiness counts heartbeats (every 250 ms here) and measures a bus round trip: on a loaded machine a beat or the
    // round trip can be late for a moment, so the state before is waited for like the state after.
    const ready = (response: GatewayResponse) => response.status === 200 && response.body.bus.roundTripMs > 0;
    const before = await eventually(
      async () => {
        const response = await api.call('GET', '/api/v1/health/ready');
        return ready(response) ? response : undefined;
      },
      '/health/ready answering ready with a bus round trip',
      SIGNAL_TIMEOUT_MS,
    );
    expect(before).toMatchObject({ status: 200, body: { status: 'ready' } });
    expect(before.body.apps.find((entry: { service: string }) => entry.service === 'storage')).toMatchObject({ status: 'up' });
    stack.process('storage').signal('SIGKILL');
    const after = await eventually(
      async () => {
        const response = await api.call('GET', '/api/v1/health/ready');
        return response.status === 503 && JSON.stringify(response.body.missing) === JSON.stringify(['storage']) ? response : undefined;
      },
      '/health/ready answering 503 with storage missing',
      SIGNAL_TIMEOUT_MS,
    );
    expect(after).toMatchObject({ status: 503, body: { status: 'not-ready', missing: ['storage'] } });
    expect(after.body.apps.find((entry: { service: string }) => entry.service === 'storage')).toMatchObject({
      status: 'down',
      reason: expect.stringContaining('no heartbeat'),
    });
  });
});
