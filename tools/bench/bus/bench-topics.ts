// The aico side's contracts and client wiring: two bench topics with existing message types, registered on top of
// the default registry, and a BusClient built the way run-service.ts builds one.
import { BusClient, deriveClientKeys } from '@aico/bus';
import { defaultTopicRegistry, defineEvent, defineRequest, PingRequestSchema, PingResponseSchema, type ServiceIdentity } from '@aico/contracts';
import { KeyRing } from '@aico/keys';
import { createStreamLogger, type Logger } from '@aico/logging';
import { ECHO_TOPIC, FLOOD_TOPIC, HIGH_WATER_MARK, type ChildSetup } from './protocol';

export const PUBLISHER_IDENTITY: ServiceIdentity = 'monitor';
export const SUBSCRIBER_IDENTITY: ServiceIdentity = 'gateway';

export const BenchTopics = {
  flood: defineEvent({
    topic: FLOOD_TOPIC,
    payload: PingRequestSchema,
    publishers: [PUBLISHER_IDENTITY],
    contractVersion: 1,
    description: 'Bus benchmark event: a 200-byte `data` (kind, sequence, send time) and the sequence.',
  }),
  echo: defineRequest({
    topic: ECHO_TOPIC,
    payload: PingRequestSchema,
    response: PingResponseSchema,
    publishers: [PUBLISHER_IDENTITY],
    responders: [SUBSCRIBER_IDENTITY],
    contractVersion: 1,
    description: 'Bus benchmark request: the responder echoes the 200-byte `data`.',
  }),
} as const;

export const benchRegistry = defaultTopicRegistry.with(Object.values(BenchTopics));

/** Warnings and errors only, to stderr (stdout of the run is the JSON result). */
export function benchLogger(name: string): Logger {
  return createStreamLogger({ service: name, level: 'warn' }, { write: (line: string) => void process.stderr.write(line) });
}

export function keyRingFrom(setup: ChildSetup): KeyRing {
  if (!setup.masterKeyHex) throw new Error(`${setup.name}: master key missing`);
  return new KeyRing(Buffer.from(setup.masterKeyHex, 'hex'), 'bench (random per run)');
}

export function benchClient(setup: ChildSetup, identity: ServiceIdentity): BusClient {
  if (!setup.publishEndpoint || !setup.subscribeEndpoint) throw new Error(`${setup.name}: endpoints missing`);
  return new BusClient({
    identity,
    publishEndpoint: setup.publishEndpoint,
    subscribeEndpoint: setup.subscribeEndpoint,
    curve: deriveClientKeys(keyRingFrom(setup), identity),
    registry: benchRegistry,
    logger: benchLogger(setup.name),
    sendHighWaterMark: HIGH_WATER_MARK,
    receiveHighWaterMark: HIGH_WATER_MARK,
    readyTimeoutMs: 10_000,
  });
}
