import { Module } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_INFO, SERVICE_LOGGER, type ServiceInfo } from '@aico/service';
import { CatalogModule, MODEL_FIT, MODEL_RESIDENCY, ModelCatalog, type ModelFitCheck, type ModelResidency } from './catalog';
import { BEFORE_LOAD_HOOK, type BeforeLoadHook } from './engine/before-load.hook';
import { FitCheckBeforeLoad } from './engine/fit-check.hook';
import { MODEL_RESOLVER, type ModelResolver } from './engine/model-resolver';
import type { ModelsConfig } from './models.config';
import { ModelsController } from './models.controller';
import { ModelsService } from './models.service';
import { MODELS_BACKEND, type ModelsBackend } from './models-backend';
import { OllamaModelsService } from './ollama/ollama-models.service';
import { NODE_LLAMA_CPP, type NodeLlamaCppLoader } from './node-llama-cpp';

/**
 * The models service: the catalog (which file a name means, import/pull/remove/use) and the engine behind it. The
 * engine asks the catalog which file to load, the fit check runs before every load, and the catalog asks the engine
 * to release a model before its file is removed.
 */
@Module({
  imports: [CatalogModule],
  controllers: [ModelsController],
  providers: [
    {
      provide: MODEL_RESOLVER,
      inject: [ModelCatalog],
      useFactory: (catalog: ModelCatalog): ModelResolver => ({
        resolve: async (query) => {
          const { entry, absolutePath } = await catalog.resolve(query);
          return { name: entry.id, absolutePath, contextLength: entry.contextLength, quantization: entry.quantization, parameters: entry.parameters };
        },
      }),
    },
    {
      provide: BEFORE_LOAD_HOOK,
      inject: [SERVICE_CONFIG, NODE_LLAMA_CPP],
      useFactory: (config: ModelsConfig, loader: NodeLlamaCppLoader): BeforeLoadHook =>
        new FitCheckBeforeLoad({ loader, headroomBytes: config.models.memoryHeadroomBytes }),
    },
    {
      // models.backend: ollama answers the same bus contract with an Ollama server the user runs; llama.cpp (the
      // default) with the engine in this process.
      provide: MODELS_BACKEND,
      inject: [SERVICE_CONFIG, BusClient, SERVICE_LOGGER, SERVICE_INFO, MODEL_RESOLVER, BEFORE_LOAD_HOOK, NODE_LLAMA_CPP],
      useFactory: (
        config: ModelsConfig,
        bus: BusClient,
        logger: Logger,
        info: ServiceInfo,
        resolver: ModelResolver,
        beforeLoad: BeforeLoadHook,
        loader: NodeLlamaCppLoader,
      ): ModelsBackend =>
        config.models.backend === 'ollama'
          ? new OllamaModelsService({ config, bus, logger: logger.child({ context: 'OllamaModelsService' }), instanceId: info.instanceId })
          : new ModelsService({
              config,
              bus,
              logger: logger.child({ context: 'ModelsService' }),
              instanceId: info.instanceId,
              resolver,
              beforeLoad,
              loader,
              ...(beforeLoad instanceof FitCheckBeforeLoad ? { fitCheck: beforeLoad } : {}),
            }),
    },
    {
      // with_fit in the catalog listing: the engine's fit check without loading (null under Ollama: no fits listed).
      provide: MODEL_FIT,
      inject: [MODELS_BACKEND],
      useFactory: (backend: ModelsBackend): ModelFitCheck | null =>
        backend instanceof ModelsService
          ? {
              fit: async (model) => {
                const decision = await backend.fitOf(model);
                if (!decision) throw new Error('the fit check is not configured');
                return decision;
              },
            }
          : null,
    },
    {
      provide: MODEL_RESIDENCY,
      inject: [MODELS_BACKEND],
      useFactory: (backend: ModelsBackend): ModelResidency => ({ release: (name) => backend.unloadModel(name) }),
    },
  ],
})
export class ModelsAppModule {}
