// The bus check against a real in-process CURVE bus: connected, nothing listening, a bus under another master key,
// a foreign program on a bus port; ZAP refusals and half-configured endpoints through stand-ins.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BusError, BusErrorCode } from '@aico/bus';
import { freeTcpPort, TestBus } from '@aico/bus/testing';
import { KeyRing } from '@aico/keys';
import { checkBus, type BusConnector, type BusSubject } from './bus.check';
import { createDoctorEnvironment } from './doctor';
import { bindProbe, greet, type Greeting } from './network-probes';
import { listenOnFreePort } from './testing/stand-in-server';

const realConnect = createDoctorEnvironment().connectBus;
const notAsked: BusConnector = () => Promise.reject(new Error('connect was not expected'));
/**
 * Deadlines for what does happen (a handshake with the real bus, a greeting from a listener): generous, since a
 * loaded machine is only slower. Where the handshake can never complete (no socket, another master key, a foreign
 * program), the test sets the ready timeout it waits out instead: the outcome is the same however fast the machine.
 */
const READY_DEADLINE_MS = 30_000;
const GREETING_DEADLINE_MS = 10_000;
const HANDSHAKE_NEVER_COMPLETES_MS = 1_000;

describe('bus check', () => {
  let bus: TestBus;
  let subject: BusSubject;

  beforeAll(async () => {
    bus = await new TestBus({ transport: 'tcp' }).start();
  });
  afterAll(() => bus.stop());
  beforeEach(() => {
    subject = {
      endpoints: { publishEndpoint: bus.publishEndpoint, subscribeEndpoint: bus.subscribeEndpoint },
      dataDir: '/home/ada/.local/share/aico',
      keys: bus.keys,
      connect: realConnect,
      network: { bind: bindProbe, greet: (endpoint) => greet(endpoint, GREETING_DEADLINE_MS) },
      readyTimeoutMs: READY_DEADLINE_MS,
      now: () => performance.now(),
    };
  });

  it('connects as cli with the key services use, and hands the ready client on', async () => {
    const outcome = await checkBus(subject);
    try {
      expect(outcome.connected).toBe(true);
      expect(outcome.result.status).toBe('ok');
      expect(outcome.result.detail).toMatch(
        new RegExp(
          `^Connected as "cli" through ${bus.publishEndpoint} and ${bus.subscribeEndpoint} with the key from test: CURVE handshake and a round trip through the bus in \\d+\\.\\d ms\\.$`,
        ),
      );
      expect(outcome.bus!.state).toBe('ready');
    } finally {
      await outcome.bus?.close({ drainTimeoutMs: 0 });
    }
  });

  it('says "not running" at once when nothing holds either tcp port', async () => {
    const endpoints = { publishEndpoint: `tcp://127.0.0.1:${await freeTcpPort()}`, subscribeEndpoint: `tcp://127.0.0.1:${await freeTcpPort()}` };
    const outcome = await checkBus({ ...subject, endpoints, connect: notAsked });
    expect(outcome).toEqual({
      result: {
        name: 'bus',
        status: 'warn',
        detail: `aico is not running: nothing listens on ${endpoints.publishEndpoint} or ${endpoints.subscribeEndpoint}.`,
        fix: 'Start aico ("npm start" in development), then run "aico doctor" again.',
      },
      connected: false,
    });
  });

  it('says "not running" for ipc endpoints with no socket, after the connect gives up', async () => {
    const base = join(tmpdir(), `aico-doctor-${randomBytes(4).toString('hex')}`);
    const outcome = await checkBus({
      ...subject,
      endpoints: { publishEndpoint: `ipc://${base}-pub.sock`, subscribeEndpoint: `ipc://${base}-sub.sock` },
      readyTimeoutMs: HANDSHAKE_NEVER_COMPLETES_MS,
    });
    expect(outcome.result).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^aico is not running: nothing listens on ipc:/) });
  });

  it('reports a refused handshake when the bus runs under another master key', async () => {
    const stranger = new KeyRing(randomBytes(32), 'key file /etc/aico/other.key');
    const outcome = await checkBus({ ...subject, keys: stranger, readyTimeoutMs: HANDSHAKE_NEVER_COMPLETES_MS });
    expect(outcome.connected).toBe(false);
    expect(outcome.bus).toBeUndefined();
    expect(outcome.result).toEqual({
      name: 'bus',
      status: 'fail',
      detail: `Handshake refused: a ZeroMQ CURVE server answers on ${bus.publishEndpoint} and ${bus.subscribeEndpoint}, but no handshake with the "cli" key from key file /etc/aico/other.key completed within 1 s. It runs under another master key (another aico installation or data directory, or a key other than the one the bus started with).`,
      fix: 'Run the doctor with the same AICO_DATA_DIR, AICO_MASTER_KEY_FILE and AICO_PROFILE as the running bus; or stop that bus and start aico for /home/ada/.local/share/aico.',
    });
  });

  it('reports a ZAP refusal of the cli key as a refused handshake', async () => {
    const refused: BusConnector = () =>
      Promise.reject(new BusError(BusErrorCode.AuthRejected, 'The bus refused the CURVE key of identity "cli" (status 400).'));
    const outcome = await checkBus({ ...subject, connect: refused });
    expect(outcome.result).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('rejected the "cli" CURVE key derived from test (its ZAP handler denied it)'),
    });
  });

  it('names a foreign program on a bus port, and a bus that answers on one endpoint only', async () => {
    const foreign = await listenOnFreePort(createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
    try {
      const endpoints = { publishEndpoint: `tcp://127.0.0.1:${foreign.port}`, subscribeEndpoint: bus.subscribeEndpoint };
      // A foreign program never completes a CURVE handshake: the connect waits out its ready timeout.
      const outcome = await checkBus({ ...subject, endpoints, readyTimeoutMs: HANDSHAKE_NEVER_COMPLETES_MS });
      expect(outcome.result).toMatchObject({
        status: 'fail',
        detail: `tcp://127.0.0.1:${foreign.port} is held by another program (it answered "HTTP/1.1 400 Bad Request").`,
      });
    } finally {
      await foreign.close();
    }

    const unreachable: BusConnector = () => Promise.reject(new BusError(BusErrorCode.BusUnreachable, 'The bus did not answer.'));
    const half = (endpoint: { kind: string }): Promise<Greeting> =>
      Promise.resolve(endpoint.kind === 'tcp' ? { kind: 'zmtp', mechanism: 'CURVE' } : { kind: 'nothing', code: 'ENOENT' });
    const outcome = await checkBus({
      ...subject,
      endpoints: { ...subject.endpoints, subscribeEndpoint: 'ipc:///run/aico/sub.sock' },
      connect: unreachable,
      network: { bind: async () => 'EADDRINUSE', greet: half },
    });
    expect(outcome.result).toMatchObject({
      status: 'fail',
      detail: `Only ${bus.publishEndpoint} answers; nothing listens on ipc:///run/aico/sub.sock. The bus runs with other endpoints than this configuration names.`,
    });
  });

  it('without a master key, says what listens but does not try the handshake', async () => {
    const outcome = await checkBus({ ...subject, keys: undefined, connect: notAsked });
    expect(outcome).toEqual({
      result: {
        name: 'bus',
        status: 'warn',
        detail: `A ZeroMQ CURVE server answers on ${bus.publishEndpoint} and ${bus.subscribeEndpoint}, but without a master key the doctor cannot try the handshake (see master-key).`,
      },
      connected: undefined,
    });
  });
});
