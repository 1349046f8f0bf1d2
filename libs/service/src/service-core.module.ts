import { Module, type DynamicModule } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import { TopicRegistry } from '@aico/contracts';
import { KeyRing } from '@aico/keys';
import type { Logger } from '@aico/logging';
import { AccessPolicy } from '@aico/policy';
import { SERVICE_CONFIG, SERVICE_INFO, SERVICE_LOGGER, type ServiceInfo } from './service.tokens';

export interface ServiceCoreOptions {
  readonly config: unknown;
  readonly logger: Logger;
  readonly info: ServiceInfo;
  readonly keys: KeyRing;
  readonly bus: BusClient;
  /** The registry the bus client checks topics against: an app injects this one, never builds its own. */
  readonly registry: TopicRegistry;
  /** The access policy the bus client asks: injectable by its class, like the registry. */
  readonly policy: AccessPolicy;
}

/**
 * Makes the process-wide objects the bootstrap built injectable everywhere in the app: the config, logger and
 * service info by token; the key ring, bus client, topic registry and access policy by their classes.
 */
@Module({})
export class ServiceCoreModule {
  static forRoot(options: ServiceCoreOptions): DynamicModule {
    return {
      module: ServiceCoreModule,
      global: true,
      providers: [
        { provide: SERVICE_CONFIG, useValue: options.config },
        { provide: SERVICE_LOGGER, useValue: options.logger },
        { provide: SERVICE_INFO, useValue: options.info },
        { provide: KeyRing, useValue: options.keys },
        { provide: BusClient, useValue: options.bus },
        { provide: TopicRegistry, useValue: options.registry },
        { provide: AccessPolicy, useValue: options.policy },
      ],
      exports: [SERVICE_CONFIG, SERVICE_LOGGER, SERVICE_INFO, KeyRing, BusClient, TopicRegistry, AccessPolicy],
    };
  }
}
