// Port conflicts: each address aico binds (the bus's two endpoints, the gateway) is tried. In use is fine when
// aico itself answers there; anything else holding it would stop that service at start.
import { checkResult, type CheckResult } from './doctor-check';
import { parseEndpoint, type Endpoint, type Greeting } from './network-probes';

export interface DoctorNetwork {
  bind(host: string, port: number): Promise<string>;
  greet(endpoint: Endpoint): Promise<Greeting>;
  answersAsGateway(host: string, port: number, tls: boolean): Promise<boolean>;
}

export interface GatewayEndpoint {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

export interface PortSubject {
  readonly network: DoctorNetwork;
  readonly platform: NodeJS.Platform;
  /** The bus check's outcome: connected through these endpoints, refused, or not tried (no master key). */
  readonly busConnected: boolean | undefined;
}

/** The command that names the program listening on `port`. */
export function whoListens(platform: NodeJS.Platform, port: number): string {
  switch (platform) {
    case 'win32':
      return `netstat -ano | findstr :${port}`;
    case 'linux':
      return `ss -ltnp 'sport = :${port}'`;
    default:
      return `lsof -nP -iTCP:${port} -sTCP:LISTEN`;
  }
}

export function describeForeign(greeting: Greeting): string {
  switch (greeting.kind) {
    case 'zmtp':
      return `a ZeroMQ server without CURVE (mechanism ${greeting.mechanism || 'before ZMTP 3'}), not aico's bus`;
    case 'foreign':
      return greeting.banner ? `another program (it answered "${greeting.banner}")` : 'another program (it does not speak ZeroMQ)';
    case 'nothing':
      return `another program that does not accept connections (${greeting.code})`;
  }
}

function bindFailure(name: string, where: string, code: string, move: string): CheckResult {
  switch (code) {
    case 'EACCES':
      return checkResult(name, 'fail', `${where} may not be bound by your user (ports below 1024 need privileges).`, `Use a port above 1023: ${move}.`);
    case 'EADDRNOTAVAIL':
      return checkResult(name, 'fail', `${where} names an address this machine does not have.`, `Use 127.0.0.1 or an address of this machine: ${move}.`);
    default:
      return checkResult(name, 'fail', `${where} cannot be bound (${code}).`, move);
  }
}

const ROLE_ENV = { publish: 'AICO_BUS__PUBLISH_ENDPOINT', subscribe: 'AICO_BUS__SUBSCRIBE_ENDPOINT' } as const;

export async function checkBusPort(role: 'publish' | 'subscribe', endpoint: string, { network, platform, busConnected }: PortSubject): Promise<CheckResult> {
  const name = `port:bus-${role}`;
  const where = `The bus ${role} endpoint ${endpoint}`;
  const target = parseEndpoint(endpoint);
  if (target.kind === 'inproc') return checkResult(name, 'ok', `${where} is in-process: no port to conflict with.`);
  if (busConnected === true) return checkResult(name, 'ok', `${where} is in use by aico's bus (the bus check connected through it).`);
  const move = `${ROLE_ENV[role]}=tcp://127.0.0.1:<free port> (every aico process must get the same value)`;
  if (target.kind === 'tcp') {
    const bound = await network.bind(target.host, target.port);
    if (bound === 'free') return checkResult(name, 'ok', `${where} is free; the bus binds it at start.`);
    if (bound !== 'EADDRINUSE') return bindFailure(name, where, bound, move);
  }
  const greeting = await network.greet(target);
  if (greeting.kind === 'nothing' && target.kind === 'ipc') {
    // libzmq removes a stale socket file before it binds; only a live listener is a conflict.
    if (greeting.code === 'ENOENT') return checkResult(name, 'ok', `${where} has no socket yet; the bus makes it at start.`);
    if (greeting.code === 'ECONNREFUSED')
      return checkResult(name, 'ok', `${where} is a socket file nobody listens on (left by a stopped bus); the bus replaces it at start.`);
    return checkResult(
      name,
      'fail',
      `${where} cannot be used (${greeting.code}).`,
      `Remove ${target.path}, or choose another path: ${ROLE_ENV[role]}=ipc://<path>.`,
    );
  }
  if (greeting.kind === 'zmtp' && greeting.mechanism === 'CURVE') {
    return busConnected === false
      ? checkResult(
          name,
          'warn',
          `${where} is held by a ZeroMQ CURVE server that refused this installation's key: another aico installation's bus, or this one under another master key (see the bus check).`,
        )
      : checkResult(name, 'ok', `${where} is in use by a ZeroMQ CURVE server, presumably aico's bus (without a master key the doctor cannot prove it).`);
  }
  const who = target.kind === 'tcp' ? ` (${whoListens(platform, target.port)} shows which)` : '';
  return checkResult(name, 'fail', `${where} is held by ${describeForeign(greeting)}.`, `Stop that program${who}, or move aico's bus: ${move}.`);
}

export async function checkGatewayPort(gateway: GatewayEndpoint | Error, { network, platform }: PortSubject): Promise<CheckResult> {
  const name = 'port:gateway';
  if (gateway instanceof Error)
    return checkResult(
      name,
      'fail',
      `The gateway's address cannot be read: ${gateway.message}`,
      'Fix the gateway setting named above (AICO_GATEWAY__* or the config file).',
    );
  const where = `The gateway address ${gateway.host}:${gateway.port}`;
  if (gateway.port === 0) return checkResult(name, 'ok', 'gateway.port is 0: the system picks a free port when the gateway starts.');
  const move = 'AICO_GATEWAY__PORT=<free port> (front ends then connect there)';
  const bound = await network.bind(gateway.host, gateway.port);
  if (bound === 'free') return checkResult(name, 'ok', `${where} is free; the gateway binds it at start.`);
  if (bound !== 'EADDRINUSE') return bindFailure(name, where, bound, move);
  if (await network.answersAsGateway(gateway.host, gateway.port, gateway.tls)) {
    return checkResult(name, 'ok', `${where} is in use by aico's gateway (it answers /api/v1/health).`);
  }
  return checkResult(
    name,
    'fail',
    `${where} is held by another program (it does not answer as aico's gateway).`,
    `Stop that program (${whoListens(platform, gateway.port)} shows which), or move the gateway: ${move}.`,
  );
}
