// The catalog feature: its bus handlers and the ModelCatalog service, which it exports for the engine (resolve), with
// the node-llama-cpp loader both use.
// The engine provides MODEL_RESIDENCY (looked up when a model is removed; none means nothing is ever loaded).
import { Inject, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { BusClient } from '@aico/bus';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { StorageClient } from '@aico/storage-client';
import { modelsDir, type ModelsConfig } from '../models.config';
import { BusCatalogEvents, CatalogEvents } from './catalog-events';
import { CatalogRecords, StorageCatalogRecords } from './catalog-records';
import { CatalogController } from './catalog.controller';
import { ModelCatalog } from './model-catalog';
import { MODEL_RESIDENCY, noModelResidency, type ModelResidency } from './model-residency';
import { importNodeLlamaCpp, NODE_LLAMA_CPP, type NodeLlamaCppLoader } from '../node-llama-cpp';

@Module({
  controllers: [CatalogController],
  providers: [
    { provide: NODE_LLAMA_CPP, useValue: importNodeLlamaCpp },
    { provide: CatalogRecords, inject: [BusClient], useFactory: (bus: BusClient) => new StorageCatalogRecords(new StorageClient(bus)) },
    {
      provide: CatalogEvents,
      inject: [BusClient, SERVICE_LOGGER],
      useFactory: (bus: BusClient, logger: Logger) => new BusCatalogEvents(bus, logger.child({ context: 'ModelCatalog' })),
    },
    {
      provide: ModelCatalog,
      inject: [SERVICE_CONFIG, CatalogRecords, CatalogEvents, SERVICE_LOGGER, NODE_LLAMA_CPP, ModuleRef],
      useFactory: (
        config: ModelsConfig,
        records: CatalogRecords,
        events: CatalogEvents,
        logger: Logger,
        nodeLlamaCpp: NodeLlamaCppLoader,
        modules: ModuleRef,
      ) =>
        new ModelCatalog({
          modelsDir: modelsDir(config),
          records,
          events,
          logger: logger.child({ context: 'ModelCatalog' }),
          nodeLlamaCpp,
          residency: () => residencyOf(modules),
        }),
    },
  ],
  exports: [ModelCatalog, NODE_LLAMA_CPP],
})
export class CatalogModule implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(@Inject(ModelCatalog) private readonly catalog: ModelCatalog) {}

  onApplicationBootstrap(): Promise<void> {
    return this.catalog.start();
  }

  beforeApplicationShutdown(): void {
    this.catalog.stop();
  }
}

function residencyOf(modules: ModuleRef): ModelResidency {
  try {
    return modules.get<ModelResidency>(MODEL_RESIDENCY, { strict: false });
  } catch {
    return noModelResidency;
  }
}
