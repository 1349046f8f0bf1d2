// Whether the bus can be reached and admits this installation: a BusClient under the `cli` identity connects with
// the master key services would use. When it cannot, a ZeroMQ greeting tells "nothing listening" from "a CURVE bus
// that refused the handshake" (another master key) from "some other program".
import { BusError, BusErrorCode, type BusClient } from '@aico/bus';
import type { KeyRing } from '@aico/keys';
import { checkResult, type CheckResult } from './doctor-check';
import { parseEndpoint, type Greeting } from './network-probes';
import { describeForeign, type DoctorNetwork } from './ports.check';

export interface BusEndpoints {
  readonly publishEndpoint: string;
  readonly subscribeEndpoint: string;
}

/** Makes a `cli` BusClient for `keys` and resolves once it is ready; rejects with the BusError of the failure. */
export type BusConnector = (options: { readonly endpoints: BusEndpoints; readonly keys: KeyRing; readonly readyTimeoutMs: number }) => Promise<BusClient>;

export interface BusSubject {
  readonly endpoints: BusEndpoints;
  readonly dataDir: string;
  /** The master key services would use, and where it came from; undefined when there is none to be had. */
  readonly keys: KeyRing | undefined;
  readonly connect: BusConnector;
  readonly network: Pick<DoctorNetwork, 'bind' | 'greet'>;
  readonly readyTimeoutMs: number;
  readonly now: () => number;
}

export interface BusOutcome {
  readonly result: CheckResult;
  /** Connected and ready, for the checks that ask services; the caller closes it. */
  readonly bus?: BusClient;
  /** True connected, false refused or unreachable, undefined not tried (no master key). */
  readonly connected: boolean | undefined;
}

const START = 'Start aico ("npm start" in development), then run "aico doctor" again.';

export async function checkBus(subject: BusSubject): Promise<BusOutcome> {
  const { endpoints, keys } = subject;
  const both = `${endpoints.publishEndpoint} and ${endpoints.subscribeEndpoint}`;
  // Any connection to a running bus costs a line in its log, and a bus that is not there costs the whole ready
  // timeout: two free tcp ports say "not running" at once, without touching anything.
  if (await bothPortsFree(subject)) return { result: listeningResult({ kind: 'nothing' }, subject), connected: false };
  if (!keys) {
    const listening = await classify(subject);
    if (listening.kind === 'curve') {
      return {
        result: checkResult(
          'bus',
          'warn',
          `A ZeroMQ CURVE server answers on ${both}, but without a master key the doctor cannot try the handshake (see master-key).`,
        ),
        connected: undefined,
      };
    }
    return { result: listeningResult(listening, subject), connected: undefined };
  }
  const started = subject.now();
  try {
    const bus = await subject.connect({ endpoints, keys, readyTimeoutMs: subject.readyTimeoutMs });
    const elapsed = (subject.now() - started).toFixed(1);
    return {
      result: checkResult(
        'bus',
        'ok',
        `Connected as "cli" through ${both} with the key from ${keys.source}: CURVE handshake and a round trip through the bus in ${elapsed} ms.`,
      ),
      bus,
      connected: true,
    };
  } catch (error) {
    if (error instanceof BusError && error.code === BusErrorCode.AuthRejected) {
      return {
        result: checkResult(
          'bus',
          'fail',
          `Handshake refused: the bus on ${both} rejected the "cli" CURVE key derived from ${keys.source} (its ZAP handler denied it). The bus admits only the identities it knows, under keys derived from its own master key.`,
          sameInstallation(subject.dataDir),
        ),
        connected: false,
      };
    }
    if (!(error instanceof BusError) || error.code !== BusErrorCode.BusUnreachable) {
      return {
        result: checkResult(
          'bus',
          'fail',
          `Connecting to the bus failed: ${(error as Error).message}`,
          `If it happens again, the bus log in ${subject.dataDir}/logs says more.`,
        ),
        connected: false,
      };
    }
  }
  const listening = await classify(subject);
  if (listening.kind === 'curve') {
    return {
      result: checkResult(
        'bus',
        'fail',
        `Handshake refused: a ZeroMQ CURVE server answers on ${both}, but no handshake with the "cli" key from ${keys.source} completed within ${subject.readyTimeoutMs / 1_000} s. It runs under another master key (another aico installation or data directory, or a key other than the one the bus started with).`,
        sameInstallation(subject.dataDir),
      ),
      connected: false,
    };
  }
  return { result: listeningResult(listening, subject), connected: false };
}

function sameInstallation(dataDir: string): string {
  return `Run the doctor with the same AICO_DATA_DIR, AICO_MASTER_KEY_FILE and AICO_PROFILE as the running bus; or stop that bus and start aico for ${dataDir}.`;
}

async function bothPortsFree({ endpoints, network }: BusSubject): Promise<boolean> {
  const targets = [parseEndpoint(endpoints.publishEndpoint), parseEndpoint(endpoints.subscribeEndpoint)];
  const free = await Promise.all(targets.map(async (target) => target.kind === 'tcp' && (await network.bind(target.host, target.port)) === 'free'));
  return free.every(Boolean);
}

type Listening =
  | { readonly kind: 'curve' }
  | { readonly kind: 'nothing' }
  | { readonly kind: 'half'; readonly answering: string; readonly silent: string }
  | { readonly kind: 'foreign'; readonly endpoint: string; readonly greeting: Greeting };

async function classify({ endpoints, network }: BusSubject): Promise<Listening> {
  const names = [endpoints.publishEndpoint, endpoints.subscribeEndpoint] as const;
  const greetings = await Promise.all(names.map((endpoint) => network.greet(parseEndpoint(endpoint))));
  const foreignAt = greetings.findIndex((greeting) => greeting.kind === 'foreign' || (greeting.kind === 'zmtp' && greeting.mechanism !== 'CURVE'));
  if (foreignAt >= 0) return { kind: 'foreign', endpoint: names[foreignAt]!, greeting: greetings[foreignAt]! };
  // What is left answers CURVE or nothing at all.
  const answers = greetings.map((greeting) => greeting.kind === 'zmtp');
  if (answers[0] && answers[1]) return { kind: 'curve' };
  if (!answers[0] && !answers[1]) return { kind: 'nothing' };
  return answers[0] ? { kind: 'half', answering: names[0], silent: names[1] } : { kind: 'half', answering: names[1], silent: names[0] };
}

function listeningResult(listening: Exclude<Listening, { kind: 'curve' }>, { endpoints }: BusSubject): CheckResult {
  switch (listening.kind) {
    case 'nothing':
      return checkResult('bus', 'warn', `aico is not running: nothing listens on ${endpoints.publishEndpoint} or ${endpoints.subscribeEndpoint}.`, START);
    case 'half':
      return checkResult(
        'bus',
        'fail',
        `Only ${listening.answering} answers; nothing listens on ${listening.silent}. The bus runs with other endpoints than this configuration names.`,
        'Give every aico process the same AICO_BUS__PUBLISH_ENDPOINT and AICO_BUS__SUBSCRIBE_ENDPOINT (or config file), then restart the bus.',
      );
    case 'foreign':
      return checkResult(
        'bus',
        'fail',
        `${listening.endpoint} is held by ${describeForeign(listening.greeting)}.`,
        'See the port check above for how to free it or move the bus.',
      );
  }
}
