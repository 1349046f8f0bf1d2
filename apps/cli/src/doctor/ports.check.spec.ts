// Port checks against real listeners on free loopback ports: aico's own bus (an in-process CURVE proxy) and gateway
// (a stand-in answering its liveness route, over TLS and plain HTTP), and foreign programs holding the same ports.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import selfsigned from 'selfsigned';
import { freeTcpPort, TestBus } from '@aico/bus/testing';
import { ConfigError, ConfigErrorCode } from '@aico/config';
import { answersAsGateway, bindProbe, greet, type Endpoint } from './network-probes';
import { checkBusPort, checkGatewayPort, type DoctorNetwork, type PortSubject } from './ports.check';
import { listenOnFreePort, type StandIn } from './testing/stand-in-server';

/** Deadlines for an answer that comes (a banner, a greeting, the liveness route): generous, a loaded machine is only slower. */
const ANSWER_DEADLINE_MS = 10_000;
/** Where the peer stays silent, its silence is decided by this deadline: what the test waits out, short to keep it quick. */
const SILENCE_MS = 300;
const network: DoctorNetwork = {
  bind: bindProbe,
  greet: (endpoint: Endpoint) => greet(endpoint, ANSWER_DEADLINE_MS),
  answersAsGateway: (host, port, tls) => answersAsGateway(host, port, tls, ANSWER_DEADLINE_MS),
};
const subject: PortSubject = { network, platform: 'linux', busConnected: undefined };

/** A ZMTP 3.1 greeting with the NULL mechanism: a ZeroMQ server without CURVE. */
function zmtpNullGreeting(): Buffer {
  const greeting = Buffer.alloc(64);
  Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 3, 1]).copy(greeting);
  greeting.write('NULL', 12, 'latin1');
  return greeting;
}

describe('port checks', () => {
  const standIns: StandIn[] = [];
  const standIn = async (server: Parameters<typeof listenOnFreePort>[0]) => {
    const running = await listenOnFreePort(server);
    standIns.push(running);
    return running.port;
  };
  afterEach(async () => {
    await Promise.all(standIns.splice(0).map((running) => running.close()));
  });

  it('passes a free port: the bus binds it at start', async () => {
    const port = await freeTcpPort();
    expect(await checkBusPort('publish', `tcp://127.0.0.1:${port}`, subject)).toEqual({
      name: 'port:bus-publish',
      status: 'ok',
      detail: `The bus publish endpoint tcp://127.0.0.1:${port} is free; the bus binds it at start.`,
    });
  });

  it('fails a port held by a foreign server, quoting what it said and how to find and move it', async () => {
    const port = await standIn(createServer((socket) => socket.end('SSH-2.0-OpenSSH_9.6\r\n')));
    expect(await checkBusPort('subscribe', `tcp://127.0.0.1:${port}`, subject)).toEqual({
      name: 'port:bus-subscribe',
      status: 'fail',
      detail: `The bus subscribe endpoint tcp://127.0.0.1:${port} is held by another program (it answered "SSH-2.0-OpenSSH_9.6").`,
      fix: `Stop that program (ss -ltnp 'sport = :${port}' shows which), or move aico's bus: AICO_BUS__SUBSCRIBE_ENDPOINT=tcp://127.0.0.1:<free port> (every aico process must get the same value).`,
    });
  });

  it("tells a silent program and a ZeroMQ server without CURVE from aico's bus", async () => {
    const silent = await standIn(createServer(() => undefined));
    const quiet = await checkBusPort('publish', `tcp://127.0.0.1:${silent}`, {
      ...subject,
      platform: 'darwin',
      network: { ...network, greet: (endpoint) => greet(endpoint, SILENCE_MS) },
    });
    expect(quiet.detail).toBe(`The bus publish endpoint tcp://127.0.0.1:${silent} is held by another program (it does not speak ZeroMQ).`);
    expect(quiet.fix).toContain(`lsof -nP -iTCP:${silent} -sTCP:LISTEN`);

    const plain = await standIn(createServer((socket) => socket.write(zmtpNullGreeting())));
    expect(await checkBusPort('publish', `tcp://127.0.0.1:${plain}`, subject)).toMatchObject({
      status: 'fail',
      detail: `The bus publish endpoint tcp://127.0.0.1:${plain} is held by a ZeroMQ server without CURVE (mechanism NULL), not aico's bus.`,
    });
  });

  it("passes a port held by aico's bus, and warns when that bus refused this installation's key", async () => {
    const bus = await new TestBus({ transport: 'tcp' }).start();
    try {
      expect(await checkBusPort('publish', bus.publishEndpoint, subject)).toMatchObject({
        status: 'ok',
        detail: expect.stringContaining("is in use by a ZeroMQ CURVE server, presumably aico's bus"),
      });
      expect(await checkBusPort('publish', bus.publishEndpoint, { ...subject, busConnected: false })).toMatchObject({
        status: 'warn',
        detail: expect.stringContaining("refused this installation's key"),
      });
      const untouchable: DoctorNetwork = {
        bind: () => Promise.reject(new Error('not asked')),
        greet: () => Promise.reject(new Error('not asked')),
        answersAsGateway: () => Promise.reject(new Error('not asked')),
      };
      expect(await checkBusPort('subscribe', bus.subscribeEndpoint, { network: untouchable, platform: 'linux', busConnected: true })).toEqual({
        name: 'port:bus-subscribe',
        status: 'ok',
        detail: `The bus subscribe endpoint ${bus.subscribeEndpoint} is in use by aico's bus (the bus check connected through it).`,
      });
    } finally {
      await bus.stop();
    }
  });

  it('says why a port cannot be bound at all', async () => {
    const denied = await checkBusPort('publish', 'tcp://127.0.0.1:555', { ...subject, network: { ...network, bind: async () => 'EACCES' } });
    expect(denied).toMatchObject({
      status: 'fail',
      detail: 'The bus publish endpoint tcp://127.0.0.1:555 may not be bound by your user (ports below 1024 need privileges).',
    });
    expect(await checkBusPort('publish', 'tcp://192.0.2.7:5555', subject)).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('names an address this machine does not have'),
    });
  });

  it('passes an ipc endpoint with no socket yet', async () => {
    const path = join(tmpdir(), `aico-doctor-${process.pid}-absent.sock`);
    expect(await checkBusPort('publish', `ipc://${path}`, subject)).toMatchObject({
      status: 'ok',
      detail: `The bus publish endpoint ipc://${path} has no socket yet; the bus makes it at start.`,
    });
  });

  it("passes the gateway port when aico's gateway answers there (TLS or plain), and fails another program", async () => {
    const { private: key, cert } = await selfsigned.generate([{ name: 'commonName', value: 'stand-in gateway' }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
    });
    const health = (request: IncomingMessage, response: ServerResponse) => {
      response.writeHead(request.url === '/api/v1/health' ? 200 : 404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: 'ok', service: 'gateway', version: '0.1.0' }));
    };
    const tlsPort = await standIn(createHttpsServer({ key, cert }, health));
    expect(await checkGatewayPort({ host: '127.0.0.1', port: tlsPort, tls: true }, subject)).toEqual({
      name: 'port:gateway',
      status: 'ok',
      detail: `The gateway address 127.0.0.1:${tlsPort} is in use by aico's gateway (it answers /api/v1/health).`,
    });
    const plainPort = await standIn(createHttpServer(health));
    expect(await checkGatewayPort({ host: '127.0.0.1', port: plainPort, tls: false }, subject)).toMatchObject({ status: 'ok' });

    const otherPort = await standIn(createHttpServer((_request, response) => response.end('{"service":"grafana"}')));
    expect(await checkGatewayPort({ host: '127.0.0.1', port: otherPort, tls: false }, subject)).toEqual({
      name: 'port:gateway',
      status: 'fail',
      detail: `The gateway address 127.0.0.1:${otherPort} is held by another program (it does not answer as aico's gateway).`,
      fix: `Stop that program (ss -ltnp 'sport = :${otherPort}' shows which), or move the gateway: AICO_GATEWAY__PORT=<free port> (front ends then connect there).`,
    });
  });

  it('passes a free gateway port and reports an invalid gateway setting', async () => {
    const port = await freeTcpPort();
    expect(await checkGatewayPort({ host: '127.0.0.1', port, tls: true }, subject)).toMatchObject({
      status: 'ok',
      detail: `The gateway address 127.0.0.1:${port} is free; the gateway binds it at start.`,
    });
    const invalid = new ConfigError(ConfigErrorCode.Invalid, 'Invalid configuration:\n  - gateway.port (from AICO_GATEWAY__PORT): Too big');
    expect(await checkGatewayPort(invalid, subject)).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('gateway.port (from AICO_GATEWAY__PORT)'),
    });
  });
});
