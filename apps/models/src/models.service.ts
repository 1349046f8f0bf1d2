// The models service: the engine, the scheduler in front of it, admission by the monitor, and the bus operations
// (generate, cancel, count tokens, embed, status). Wiring and bookkeeping only: a generation's life is in
// generation/generation.ts, the model's residency in generation/model-scheduler.ts.
import { totalmem } from 'node:os';
import { timestampFromDate, timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { BusClient, ResponseStream } from '@aico/bus';
import {
  ModelPurpose,
  ModelsTopics,
  type CancelGenerateRequest,
  type CountTokensRequest,
  type EmbedRequest,
  type GenerateDeltaSchema,
  type GenerateRequest,
  type LoadedModelSchema,
  type ModelsStatusResponseSchema,
} from '@aico/contracts';
import type { Logger } from '@aico/logging';
import type { ModelsConfig } from './models.config';
import type { ModelsBackend } from './models-backend';
import { ModelsError, ModelsErrorCode } from './models.error';
import { MonitorJobs } from './admission/monitor-jobs';
import { ResourceWatch } from './admission/resource-watch';
import type { BeforeLoadHook } from './engine/before-load.hook';
import type { FitCheckBeforeLoad } from './engine/fit-check.hook';
import type { FitDecision } from './catalog/fit-check';
import { LlamaEngine, type ResidentModel } from './engine/llama-engine';
import type { ModelResolver, ResolvedModel } from './engine/model-resolver';
import type { NodeLlamaCppLoader } from './node-llama-cpp';
import { checkEmbedTexts, embedTexts } from './generation/embeddings';
import { Generation, type GenerateResultInit } from './generation/generation';
import { GenerationRegistry } from './generation/generation-registry';
import { toChatInput, toGenerationSpec } from './generation/generation-spec';
import { ModelScheduler, type UnloadReason } from './generation/model-scheduler';
import { PromptLog } from './generation/prompt-log';
import { countPromptTokens } from './generation/prompt-tokens';

export interface ModelsServiceDeps {
  readonly config: ModelsConfig;
  readonly bus: BusClient;
  readonly logger: Logger;
  readonly instanceId: string;
  readonly resolver: ModelResolver;
  readonly beforeLoad: BeforeLoadHook;
  readonly loader: NodeLlamaCppLoader;
  /** The fit check's decision without loading (the catalog's with_fit listing); absent: no fits are listed. */
  readonly fitCheck?: FitCheckBeforeLoad;
}

export class ModelsService implements ModelsBackend {
  readonly engine: LlamaEngine;
  readonly scheduler: ModelScheduler;
  private readonly jobs: MonitorJobs;
  private readonly resources: ResourceWatch;
  private readonly generations: GenerationRegistry<Generation>;
  private order = 0;
  private readonly settings: ModelsConfig['models'];
  private readonly logger: Logger;
  private readonly bus: BusClient;
  private readonly resolver: ModelResolver;
  private readonly fitCheck: FitCheckBeforeLoad | undefined;
  private readonly promptLog: PromptLog | undefined;

  constructor(deps: ModelsServiceDeps) {
    this.fitCheck = deps.fitCheck;
    this.settings = deps.config.models;
    this.logger = deps.logger;
    this.bus = deps.bus;
    this.resolver = deps.resolver;
    const s = this.settings;
    this.promptLog = s.promptLogFile ? new PromptLog(s.promptLogFile, deps.logger.child({ context: 'PromptLog' })) : undefined;
    this.engine = new LlamaEngine(
      {
        gpu: s.gpu,
        threads: s.threads,
        contextSize: s.contextSize,
        maxContextSize: s.maxContextSize,
        sequences: s.sequences,
        logLevel: s.engineLogLevel,
        failureReasonWaitMs: s.failureReasonWaitMs,
      },
      // The fit check keeps the monitor's critical memory limit free (the monitor tells its limits in its status).
      { beforeLoad: (plan, llama) => deps.beforeLoad.beforeLoad({ ...plan, memoryFloorBytes: this.resources.memoryFloorBytes(totalmem()) }, llama) },
      deps.logger.child({ context: 'LlamaEngine' }),
      deps.loader,
    );
    this.scheduler = new ModelScheduler(
      this.engine,
      { keepAliveMs: s.keepAliveMs, keepAliveOnBatteryMs: s.keepAliveOnBatteryMs },
      { loaded: (resident) => this.announceLoaded(resident), unloaded: (name, reason) => this.announceUnloaded(name, reason) },
      deps.logger.child({ context: 'ModelScheduler' }),
    );
    this.jobs = new MonitorJobs(
      deps.bus,
      { leaseMs: s.jobLeaseMs, submitTimeoutMs: s.admissionTimeoutMs },
      deps.instanceId,
      deps.logger.child({ context: 'MonitorJobs' }),
    );
    this.generations = new GenerationRegistry(s, this.jobs);
    this.resources = new ResourceWatch(
      deps.bus,
      { critical: (reason) => this.scheduler.setCritical(reason), onBattery: (onBattery) => this.scheduler.setOnBattery(onBattery) },
      deps.logger.child({ context: 'ResourceWatch' }),
      s.admissionTimeoutMs,
    );
  }

  /** Learns how resources stand (without waiting for it: a monitor that is not up yet announces itself later). */
  start(): void {
    void this.resources.ask();
  }

  async generate(
    request: GenerateRequest,
    stream: ResponseStream<typeof GenerateDeltaSchema>,
    meta: { id: string; source: string; deadlineMs: number | undefined },
  ): Promise<GenerateResultInit> {
    const receivedAt = performance.now();
    const spec = toGenerationSpec(request, { maxTokens: this.settings.defaultMaxTokens, temperature: this.settings.defaultTemperature });
    this.generations.refuseWhenBusy((waiting) => waiting === 0 && this.scheduler.runningCount < this.settings.sequences);
    const model = await this.resolver.resolve(spec.model);
    const generation = new Generation(
      meta.id,
      meta.source,
      spec,
      model,
      ++this.order,
      stream,
      {
        api: async () => {
          const { api, llama } = await this.engine.runtime();
          return { api, llama };
        },
        acquire: (slotRequest) => this.scheduler.acquire(slotRequest),
        submit: (owner) => this.generations.submit(owner),
        logger: this.logger.child({ context: 'Generation' }),
        promptLog: this.promptLog ? (entry) => this.promptLog!.write(entry) : undefined,
      },
      receivedAt,
    );
    return this.generations.run(generation, meta.deadlineMs);
  }

  /**
   * Whether a model would fit if it were loaded now, with the context and GPU layers a load would use: the fit check's
   * estimate from the GGUF header (the engine's runtime starts if it has not; no weights are read).
   */
  async fitOf(model: ResolvedModel): Promise<FitDecision | undefined> {
    if (!this.fitCheck) return undefined;
    const { llama } = await this.engine.runtime();
    const plan = {
      model,
      contextSize: this.engine.contextSizeFor(model.contextLength),
      sequences: this.settings.sequences,
      gpuLayers: llama.gpu === false ? (0 as const) : ('auto' as const),
      memoryFloorBytes: this.resources.memoryFloorBytes(totalmem()),
    };
    return this.fitCheck.check(plan, llama);
  }

  cancel(request: CancelGenerateRequest, source: string): { found: boolean } {
    return this.generations.cancel(request, source);
  }

  async countTokens(request: CountTokensRequest): Promise<{ tokens: number; contextSize: number; model: string }> {
    const model = await this.resolver.resolve({
      name: request.model,
      purpose: request.purpose === ModelPurpose.UNSPECIFIED ? ModelPurpose.CHAT : request.purpose,
    });
    const { api } = await this.engine.runtime();
    const tokenizer = await this.engine.tokenizer(model);
    let tokens: number;
    switch (request.input.case) {
      case 'text':
        tokens = tokenizer.tokenize(request.input.value).length;
        break;
      case 'chat':
        tokens = countPromptTokens(api, tokenizer, toChatInput(request.input.value.messages));
        break;
      case undefined:
        throw new ModelsError(ModelsErrorCode.InvalidArgument, 'Give a text or a chat to count.', { field: 'input' });
    }
    const resident = this.engine.resident;
    const contextSize =
      resident && resident.model.absolutePath === model.absolutePath
        ? resident.contextSize
        : this.engine.contextSizeFor(model.contextLength, tokenizer.trainContextSize);
    return { tokens, contextSize, model: model.name };
  }

  async embed(request: EmbedRequest, deadlineMs: number | undefined): Promise<{ embeddings: { values: number[] }[]; dimensions: number; model: string }> {
    checkEmbedTexts(request.texts);
    const model = await this.resolver.resolve({ name: request.model, purpose: ModelPurpose.EMBEDDING });
    const signal = deadlineMs === undefined ? new AbortController().signal : AbortSignal.timeout(Math.max(0, deadlineMs - Date.now()));
    const slot = await this.scheduler.acquire({ model, order: ++this.order, onWaiting: () => undefined, signal });
    try {
      const { vectors, dimensions } = await embedTexts(slot.resident, request.texts, AbortSignal.any([signal, slot.evicted]));
      return { embeddings: vectors.map((values) => ({ values: [...values] })), dimensions, model: model.name };
    } finally {
      slot.release();
    }
  }

  status(): MessageInitShape<typeof ModelsStatusResponseSchema> {
    const scheduled = this.scheduler.status();
    const resident = this.engine.resident;
    const waiting = this.generations.waiting();
    return {
      backend: 'llama.cpp',
      loaded: resident ? [this.loadedModel(resident, scheduled.unloadAtMs)] : [],
      running: scheduled.running,
      waiting: Math.max(waiting, scheduled.waiting),
      lastUnloadReason: scheduled.lastUnloadReason,
      rssBytes: BigInt(process.memoryUsage.rss()),
    };
  }

  /** Unloads a model now (the catalog removed it), once what runs on it has stopped. */
  unloadModel(name: string): Promise<void> {
    return this.scheduler.unloadNow('removed', name);
  }

  async stop(): Promise<void> {
    this.generations.endAll();
    await this.scheduler.unloadNow('stopping');
    await this.engine.close();
    await this.promptLog?.close();
  }

  private loadedModel(resident: ResidentModel, unloadAtMs: number | undefined): MessageInitShape<typeof LoadedModelSchema> {
    return {
      name: resident.model.name,
      contextSize: resident.contextSize,
      sequences: resident.sequences,
      threads: resident.threads,
      gpu: resident.gpu,
      gpuLayers: resident.gpuLayers,
      memoryBytes: BigInt(Math.max(resident.estimatedBytes, resident.rssGrowthBytes)),
      loadedAt: timestampFromDate(resident.loadedAt),
      ...(unloadAtMs !== undefined ? { unloadAt: timestampFromMs(unloadAtMs) } : {}),
      loadMs: resident.loadMs,
    };
  }

  private announceLoaded(resident: ResidentModel): void {
    this.bus
      .publish(ModelsTopics.modelLoaded, { model: this.loadedModel(resident, undefined) })
      .catch((error: unknown) => this.logger.debug({ err: error }, 'models.model.loaded not published'));
  }

  private announceUnloaded(name: string, reason: UnloadReason): void {
    this.bus
      .publish(ModelsTopics.modelUnloaded, { name, reason })
      .catch((error: unknown) => this.logger.debug({ err: error }, 'models.model.unloaded not published'));
  }
}
