// The catalog's bus contract (`models.catalog.*`): parse, call the catalog, map the answer. A pull runs as long as
// the download takes; its progress streams to the requester (PullProgress deltas) and each phase is logged.
import { Controller, Inject } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { ZmqContext } from '@aico/bus';
import { ModelsTopics } from '@aico/contracts';
import type { ImportModelRequest, ListModelsRequest, PullModelRequest, PullProgressSchema, RemoveModelRequest, UseModelRequest } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import type { ModelsConfig } from '../models.config';
import { ModelsError, ModelsErrorCode } from '../models.error';
import type { DownloadProgress } from './download/model-downloader';
import { ModelCatalog, type CatalogListing } from './model-catalog';
import { fitsOf, MODEL_FIT, type ModelFitCheck, type ModelFitInit } from './model-fit';

@Controller()
export class CatalogController {
  constructor(
    private readonly catalog: ModelCatalog,
    @Inject(SERVICE_LOGGER) private readonly logger: Logger,
    @Inject(SERVICE_CONFIG) private readonly config: ModelsConfig,
    private readonly modules: ModuleRef,
  ) {}

  /** The engine's fit check, provided beside the engine (none under the Ollama back end: no fits are listed then). */
  private fitCheck(): ModelFitCheck | undefined {
    try {
      return this.modules.get<ModelFitCheck>(MODEL_FIT, { strict: false });
    } catch {
      return undefined;
    }
  }

  /** Under the Ollama back end the catalog's files would be used by nothing: changes are refused, saying why. */
  private refuseUnderOllama(): void {
    if (this.config.models.backend !== 'ollama') return;
    throw new ModelsError(
      ModelsErrorCode.InvalidArgument,
      'The models service uses Ollama (models.backend: ollama): Ollama keeps its own models ("ollama pull <model>", "ollama list"), and requests name them. The aico catalog serves the llama.cpp back end only.',
    );
  }

  @MessagePattern(ModelsTopics.catalogList.topic)
  async list(@Payload() request: ListModelsRequest): Promise<CatalogListing & { fits?: ModelFitInit[] }> {
    const listing = await this.catalog.list();
    const fit = request.withFit ? this.fitCheck() : undefined;
    if (!fit) return listing;
    return { ...listing, fits: await fitsOf(listing, fit, this.logger) };
  }

  @MessagePattern(ModelsTopics.catalogImport.topic)
  async import(@Payload() request: ImportModelRequest) {
    this.refuseUnderOllama();
    return { model: await this.catalog.import({ path: request.path, name: request.name, sha256: request.sha256 }) };
  }

  @MessagePattern(ModelsTopics.catalogPull.topic)
  async pull(@Payload() request: PullModelRequest, @Ctx() context: ZmqContext) {
    this.refuseUnderOllama();
    // The stream's signal aborts at the requester's deadline, on its cancel, or when it is gone (Ctrl-C, killed):
    // the download stops there, its .part kept for a resume.
    const stream = context.getStream<typeof PullProgressSchema>();
    const log = this.progressLog(request.name || request.source);
    const onProgress = (progress: DownloadProgress) => {
      log(progress);
      const delta = {
        phase: progress.phase,
        doneBytes: BigInt(progress.doneBytes),
        totalBytes: BigInt(progress.totalBytes),
        resumedFromBytes: BigInt(progress.resumedFromBytes),
      };
      stream.send(delta).catch((error: unknown) => this.logger.debug({ err: error }, 'A pull progress delta was not sent'));
    };
    const model = await this.catalog.pull({ source: request.source, name: request.name, sha256: request.sha256 }, { onProgress, signal: stream.signal });
    return { model };
  }

  @MessagePattern(ModelsTopics.catalogRemove.topic)
  remove(@Payload() request: RemoveModelRequest) {
    return this.catalog.remove(request.name);
  }

  @MessagePattern(ModelsTopics.catalogUse.topic)
  async use(@Payload() request: UseModelRequest) {
    this.refuseUnderOllama();
    return { model: await this.catalog.use(request.name, request.purpose) };
  }

  /** Logs each phase, and the download every tenth of the way. */
  private progressLog(what: string): (progress: DownloadProgress) => void {
    let phase = '';
    let tenth = -1;
    return (progress) => {
      const now = progress.totalBytes > 0 ? Math.floor((progress.doneBytes / progress.totalBytes) * 10) : tenth;
      if (progress.phase === phase && now === tenth) return;
      phase = progress.phase;
      tenth = now;
      this.logger.info({ pull: what.slice(0, 200), ...progress }, `Pull ${progress.phase}`);
    };
  }
}
