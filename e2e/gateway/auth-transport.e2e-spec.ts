// The gateway's connections against real processes, attacked as in issue 14: connections that never finish the TLS
// handshake, never send a request, trickle their headers, or pile up past the cap; TLS 1.2 clients offering only
// CBC suites; and logins from many loopback addresses. Deadlines here are settings of the gateway under test, a few
// seconds; the test waits for the server to act (a close event, a log line) with generous deadlines of its own.
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { GatewayStack, STACK_START_TIMEOUT_MS, type RunningGateway } from '../support/gateway-stack';
import { eventually } from '../support/system-bus';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

/** How long the gateway may take to act on its (small) deadlines here before a test fails: a signal's deadline. */
const SERVER_DEADLINE_MS = SIGNAL_TIMEOUT_MS;
/** For settings that must not fire during a test. */
const HOUR = String(60 * 60_000);

/** Resolves when the server closes the socket; rejects if it stays open past the deadline (the test never closes it). */
function closedByServer(socket: Socket, what: string): Promise<{ afterMs: number; received: string }> {
  const started = Date.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the gateway kept ${what} open for ${SERVER_DEADLINE_MS} ms`));
    }, SERVER_DEADLINE_MS);
    // A reset is the server closing too.
    socket.on('error', () => undefined);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ afterMs: Date.now() - started, received });
    });
  });
}

describe('gateway connections under attack (issue 14)', () => {
  let stack: GatewayStack;

  const tls = (options: ConnectionOptions = {}, gateway: RunningGateway = stack.gateway) =>
    tlsConnect({ host: '127.0.0.1', port: gateway.port, ca: stack.ca, ...options });
  const secured = (socket: TLSSocket) =>
    new Promise<TLSSocket>((resolve, reject) => {
      socket.once('secureConnect', () => resolve(socket));
      socket.once('error', reject);
    });
  const handshake = (options: ConnectionOptions) =>
    new Promise<{ ok: boolean; protocol?: string | null; cipher?: string }>((resolve) => {
      const socket = tls(options);
      socket.once('secureConnect', () => {
        resolve({ ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name });
        socket.end();
      });
      socket.once('error', () => resolve({ ok: false }));
    });

  beforeAll(async () => {
    stack = await GatewayStack.start({
      // Seconds: what the attacks below wait out, and still room for the handshakes and requests of this file's honest
      // clients on a loaded machine (the gateway drops those too if they are slower than this).
      AICO_GATEWAY__TLS_HANDSHAKE_TIMEOUT_MS: '5000',
      AICO_GATEWAY__HEADERS_TIMEOUT_MS: '5000',
      AICO_GATEWAY__REQUEST_TIMEOUT_MS: '10000',
      AICO_GATEWAY__KEEP_ALIVE_TIMEOUT_MS: '2000',
      AICO_GATEWAY__IDLE_TIMEOUT_MS: '5000',
      AICO_GATEWAY__LOGIN_RATE_LIMIT_PER_MINUTE: '20',
      AICO_GATEWAY__RATE_LIMIT_WINDOW_MS: HOUR,
    });
  }, STACK_START_TIMEOUT_MS);

  afterAll(async () => {
    await stack?.stop();
  });

  it('closes a connection that never starts its TLS handshake (finding 8)', async () => {
    const socket = tcpConnect({ host: '127.0.0.1', port: stack.gateway.port });
    await expect(closedByServer(socket, 'a connection without a handshake')).resolves.toBeDefined();
  });

  it('closes an idle TLS connection that never sends a request (finding 8)', async () => {
    const socket = await secured(tls());
    await expect(closedByServer(socket, 'an idle TLS connection')).resolves.toBeDefined();
  });

  it('drops a request whose headers trickle in too slowly (finding 8)', async () => {
    const socket = await secured(tls());
    const closed = closedByServer(socket, 'a request whose headers never end');
    socket.write('GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // One header line at a time, never the blank line: each write keeps the connection from being idle.
    let line = 0;
    const trickle = setInterval(() => socket.writable && socket.write(`X-Trickle-${line++}: x\r\n`), 200);
    try {
      const { received } = await closed;
      expect(received === '' || received.startsWith('HTTP/1.1 408')).toBe(true);
    } finally {
      clearInterval(trickle);
    }
  });

  it('closes a kept-alive connection after its answer once it idles (finding 8)', async () => {
    const socket = await secured(tls());
    const closed = closedByServer(socket, 'a kept-alive connection');
    socket.write('GET /api/v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    expect((await closed).received).toMatch(/^HTTP\/1\.1 200/);
  });

  it('leaves a quiet WebSocket open: it has its own heartbeat (finding 8)', async () => {
    await stack.putUser('quiet', 'Quiet-password-2026!');
    const { accessToken } = await stack.login('quiet', 'Quiet-password-2026!');
    const { socket } = await stack.connect(accessToken);
    let closed = false;
    socket.once('close', () => (closed = true));
    // A plain TLS connection opened after the WebSocket, and as quiet: once the gateway has closed it for idling, the
    // WebSocket has been quiet for longer than that.
    await closedByServer(await secured(tls()), 'an idle TLS connection');
    expect(closed).toBe(false);
    const pong = new Promise<void>((resolve) => socket.once('pong', () => resolve()));
    socket.ping();
    await pong;
    socket.close();
  });

  it('refuses connections past maxConnections, logs and counts it, and serves again once connections end (finding 8)', async () => {
    // The held connections must stay open however long the test takes: no handshake, header or idle deadline fires.
    const capped = await stack.startGateway('gateway-capped', {
      AICO_GATEWAY__MAX_CONNECTIONS: '4',
      AICO_GATEWAY__TLS_HANDSHAKE_TIMEOUT_MS: HOUR,
      AICO_GATEWAY__HEADERS_TIMEOUT_MS: HOUR,
      AICO_GATEWAY__REQUEST_TIMEOUT_MS: HOUR,
      AICO_GATEWAY__IDLE_TIMEOUT_MS: HOUR,
    });
    const held = await Promise.all(Array.from({ length: 4 }, () => secured(tls({}, capped))));
    const logged = capped.process.waitForMessage('Refused a connection: the gateway holds its maximum number of connections', SERVER_DEADLINE_MS);
    logged.catch(() => undefined); // awaited below; an earlier failed expectation must not leave it unhandled
    const extra = tls({}, capped);
    const outcome = await new Promise<string>((resolve) => {
      extra.once('secureConnect', () => resolve('connected'));
      extra.once('error', () => resolve('refused'));
      extra.once('close', () => resolve('refused'));
    });
    extra.destroy();
    expect(outcome).toBe('refused');
    expect(await logged).toMatchObject({ maxConnections: 4, refused: 1, refusedTotal: 1 });
    for (const socket of held) socket.destroy();
    // The gateway notices the closes on its own schedule: ask until it answers (each try is a fresh connection).
    const answered = await eventually(
      () => capped.api.call('GET', '/api/v1/health').then((response) => response.status),
      'an answer once the held connections ended',
      SERVER_DEADLINE_MS,
    );
    expect(answered).toBe(200);
  });

  it('speaks TLS 1.2 with forward-secret AEAD suites only, and TLS 1.3', async () => {
    expect(await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA256' })).toMatchObject({ ok: false });
    expect(await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES256-SHA384' })).toMatchObject({ ok: false });
    expect(await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).toMatchObject({
      ok: true,
      protocol: 'TLSv1.2',
      cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    });
    expect(await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' })).toMatchObject({ ok: true, protocol: 'TLSv1.2' });
    expect(await handshake({})).toMatchObject({ ok: true, protocol: 'TLSv1.3' });
  });

  it('counts every loopback address as one client: 40 logins from 127.0.x.y meet the limit of 20 (finding 6; last: it spends the allowance)', async () => {
    const statuses: number[] = [];
    const codes: string[] = [];
    for (let i = 0; i < 40; i++) {
      // Different usernames, so neither the lockout nor the per-account limit is what answers.
      const response = await stack.call('POST', '/api/v1/auth/login', {
        json: { username: `nobody-${i}`, password: 'wrong-password' },
        localAddress: `127.0.${i + 1}.${((i * 37) % 250) + 2}`,
      });
      statuses.push(response.status);
      codes.push(response.body?.error?.code);
    }
    // At most 20 logins from the loopback in all (a test above logged in once), then every one refused.
    const firstRefused = statuses.indexOf(429);
    expect(firstRefused).toBeGreaterThanOrEqual(10);
    expect(firstRefused).toBeLessThanOrEqual(20);
    expect(statuses.slice(0, firstRefused)).toEqual(Array(firstRefused).fill(401));
    expect(statuses.slice(firstRefused)).toEqual(Array(40 - firstRefused).fill(429));
    expect(new Set(codes.slice(firstRefused))).toEqual(new Set(['RATE_LIMITED']));
  });
});
