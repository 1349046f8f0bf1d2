// Runs the proxy for the lifetime of the app. It starts in onModuleInit, before the transport connects the bus
// app's own client (which publishes its heartbeat), and stops after that client has closed.
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { BusProxy, deriveAllowList, deriveServerKeys } from '@aico/bus';
import { KeyRing } from '@aico/keys';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import type { BusAppConfig } from './bus-app.config';

@Injectable()
export class BusProxyHost implements OnModuleInit, OnApplicationShutdown {
  private readonly proxy: BusProxy;

  constructor(@Inject(SERVICE_CONFIG) config: BusAppConfig, @Inject(SERVICE_LOGGER) logger: Logger, keys: KeyRing) {
    this.proxy = new BusProxy({
      publishEndpoint: config.bus.publishEndpoint,
      subscribeEndpoint: config.bus.subscribeEndpoint,
      serverKeys: deriveServerKeys(keys),
      allowedKeys: deriveAllowList(keys),
      logger,
      highWaterMark: config.proxy.highWaterMark,
      maxMessageBytes: config.proxy.maxMessageBytes,
      refusalLogIntervalMs: config.proxy.refusalLogIntervalMs,
      refusalLogMaxSources: config.proxy.refusalLogMaxSources,
    });
  }

  onModuleInit(): Promise<void> {
    return this.proxy.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.proxy.stop();
  }
}
