import { Module } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_INFO, SERVICE_LOGGER, type ServiceInfo } from '@aico/service';
import { StorageClient } from '@aico/storage-client';
import { BEFORE_LOAD_HOOK, noBeforeLoadCheck, type BeforeLoadHook } from './engine/before-load.hook';
import { MODEL_RESOLVER, StorageModelResolver, type ModelResolver } from './engine/model-resolver';
import { importNodeLlamaCpp, type NodeLlamaCppLoader } from './engine/node-llama-cpp';
import { modelsDir, type ModelsConfig } from './models.config';
import { ModelsController } from './models.controller';
import { ModelsService } from './models.service';
import { NODE_LLAMA_CPP_LOADER } from './models.tokens';

/** The models service's handlers and providers (engine, admission, catalog) are wired here. */
@Module({
  controllers: [ModelsController],
  providers: [
    // Where the catalog's lookup and fit check plug in (the lead merges them with the catalog's providers).
    { provide: MODEL_RESOLVER, inject: [BusClient, SERVICE_CONFIG], useFactory: (bus: BusClient, config: ModelsConfig): ModelResolver => new StorageModelResolver(new StorageClient(bus), modelsDir(config)) },
    { provide: BEFORE_LOAD_HOOK, useValue: noBeforeLoadCheck },
    { provide: NODE_LLAMA_CPP_LOADER, useValue: importNodeLlamaCpp },
    {
      provide: ModelsService,
      inject: [SERVICE_CONFIG, BusClient, SERVICE_LOGGER, SERVICE_INFO, MODEL_RESOLVER, BEFORE_LOAD_HOOK, NODE_LLAMA_CPP_LOADER],
      useFactory: (config: ModelsConfig, bus: BusClient, logger: Logger, info: ServiceInfo, resolver: ModelResolver, beforeLoad: BeforeLoadHook, loader: NodeLlamaCppLoader) =>
        new ModelsService({ config, bus, logger: logger.child({ context: 'ModelsService' }), instanceId: info.instanceId, resolver, beforeLoad, loader }),
    },
  ],
})
export class ModelsAppModule {}
