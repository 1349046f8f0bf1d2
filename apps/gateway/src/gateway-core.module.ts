// The objects every feature module of the gateway shares, as providers: storage with a person's deadlines and the
// clock the login rules read. The topic registry and the access policy are runService's (ServiceCoreModule): the
// ones the bus client was built with, so the gateway never builds its own.
import { Global, Module } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import { StorageClient } from '@aico/storage-client';
import { GATEWAY_CLOCK, systemClock } from './auth/clock';

@Global()
@Module({
  providers: [
    // Short deadlines: a person is waiting on the other end of these calls.
    { provide: StorageClient, inject: [BusClient], useFactory: (bus: BusClient) => new StorageClient(bus, { deadlineMs: 5_000, attemptTimeoutMs: 1_500 }) },
    { provide: GATEWAY_CLOCK, useValue: systemClock },
  ],
  exports: [StorageClient, GATEWAY_CLOCK],
})
export class GatewayCoreModule {}
