// The objects every feature module of the gateway shares, as providers: the topic registry (the one the bus was
// built with), the access policy over it, storage with a person's deadlines, and the clock the login rules read.
import { Global, Module } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import { defaultTopicRegistry, type TopicRegistry } from '@aico/contracts';
import { AccessPolicy } from '@aico/policy';
import { StorageClient } from '@aico/storage-client';
import { GATEWAY_CLOCK, systemClock } from './auth/clock';

/** The topic registry: which topics exist, their payload types, kinds and audiences. */
export const TOPIC_REGISTRY = Symbol('TOPIC_REGISTRY');

/**
 * The registry runService builds the gateway's bus with: main.ts gives it none, so it is the default one. libs/service
 * does not yet provide the registry it was given; once it does (a SERVICE_TOPIC_REGISTRY token), this provider becomes
 * `useExisting` of it and no code here names the default registry.
 */
const registryProvider = { provide: TOPIC_REGISTRY, useValue: defaultTopicRegistry satisfies TopicRegistry };

@Global()
@Module({
  providers: [
    registryProvider,
    { provide: AccessPolicy, inject: [TOPIC_REGISTRY], useFactory: (registry: TopicRegistry) => new AccessPolicy(registry) },
    // Short deadlines: a person is waiting on the other end of these calls.
    { provide: StorageClient, inject: [BusClient], useFactory: (bus: BusClient) => new StorageClient(bus, { deadlineMs: 5_000, attemptTimeoutMs: 1_500 }) },
    { provide: GATEWAY_CLOCK, useValue: systemClock },
  ],
  exports: [TOPIC_REGISTRY, AccessPolicy, StorageClient, GATEWAY_CLOCK],
})
export class GatewayCoreModule {}
