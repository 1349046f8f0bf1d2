// The models service with an Ollama server the user runs as its back end (models.backend: ollama): the same bus
// operations as the llama.cpp back end (models.service.ts), every generation still a monitor job. Ollama loads and
// unloads its models itself; aico gives it the keep-alive (keep_alive, shorter on battery), unloads every model it
// has loaded when resources turn critical (keep_alive: 0), and holds new work until they recover. Model names are
// Ollama's own (llama3.2:3b); aico's catalog of GGUF files applies to the llama.cpp back end only.
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { BusClient, ResponseStream } from '@aico/bus';
import type { CancelGenerateRequest, EmbedRequest, GenerateDeltaSchema, GenerateRequest, ModelsStatusResponseSchema } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import type { ModelsConfig } from '../models.config';
import { ModelsError, ModelsErrorCode } from '../models.error';
import type { ModelsBackend } from '../models-backend';
import { MonitorJobs } from '../admission/monitor-jobs';
import { ResourceWatch } from '../admission/resource-watch';
import { checkEmbedTexts } from '../generation/embeddings';
import type { GenerateResultInit } from '../generation/generation-control';
import { toGenerationSpec } from '../generation/generation-spec';
import { OllamaConnection } from './ollama-connection';
import { GenerationRegistry } from '../generation/generation-registry';
import { OllamaGeneration } from './ollama-generation';

export interface OllamaModelsServiceDeps {
  readonly config: ModelsConfig;
  readonly bus: BusClient;
  readonly logger: Logger;
  readonly instanceId: string;
}

export class OllamaModelsService implements ModelsBackend {
  readonly connection: OllamaConnection;
  private readonly jobs: MonitorJobs;
  private readonly resources: ResourceWatch;
  private readonly generations: GenerationRegistry<OllamaGeneration>;
  private readonly settings: ModelsConfig['models'];
  private readonly logger: Logger;
  private critical: string | undefined;
  private onBattery = false;
  private recovered: (() => void)[] = [];
  private lastUnloadReason = '';

  constructor(deps: OllamaModelsServiceDeps) {
    this.settings = deps.config.models;
    this.logger = deps.logger;
    this.connection = new OllamaConnection(this.settings.ollamaUrl);
    this.jobs = new MonitorJobs(
      deps.bus,
      { leaseMs: this.settings.jobLeaseMs, submitTimeoutMs: this.settings.admissionTimeoutMs },
      deps.instanceId,
      deps.logger.child({ context: 'MonitorJobs' }),
    );
    this.generations = new GenerationRegistry(this.settings, this.jobs);
    this.resources = new ResourceWatch(
      deps.bus,
      { critical: (reason) => this.setCritical(reason), onBattery: (onBattery) => (this.onBattery = onBattery) },
      deps.logger.child({ context: 'ResourceWatch' }),
      this.settings.admissionTimeoutMs,
    );
  }

  start(): void {
    this.logger.info({ url: this.connection.url }, 'Models back end: Ollama');
    void this.resources.ask();
  }

  async generate(
    request: GenerateRequest,
    stream: ResponseStream<typeof GenerateDeltaSchema>,
    meta: { id: string; source: string; deadlineMs: number | undefined },
  ): Promise<GenerateResultInit> {
    const receivedAt = performance.now();
    const spec = toGenerationSpec(request, { maxTokens: this.settings.defaultMaxTokens, temperature: this.settings.defaultTemperature });
    const model = this.modelName(spec.model.name);
    this.generations.refuseWhenBusy();
    const generation = new OllamaGeneration(
      meta.id,
      meta.source,
      spec,
      model,
      stream,
      {
        connection: this.connection,
        submit: (owner) => this.generations.submit(owner),
        resourcesOk: (signal, onWaiting) => this.resourcesOk(signal, onWaiting),
        keepAlive: () => this.keepAlive(),
        logger: this.logger.child({ context: 'OllamaGeneration' }),
      },
      receivedAt,
    );
    return this.generations.run(generation, meta.deadlineMs);
  }

  cancel(request: CancelGenerateRequest, source: string): { found: boolean } {
    return this.generations.cancel(request, source);
  }

  /** Ollama has no tokenize endpoint: counting would mean evaluating the prompt with the model, unadmitted. */
  countTokens(): Promise<{ tokens: number; contextSize: number; model: string }> {
    return Promise.reject(
      new ModelsError(
        ModelsErrorCode.InvalidArgument,
        'The Ollama back end cannot count tokens: Ollama has no tokenize endpoint. Token counts need models.backend: llama.cpp (Ollama reports the prompt tokens of each generation in its usage).',
        { field: 'backend', backend: 'ollama' },
      ),
    );
  }

  async embed(request: EmbedRequest, deadlineMs: number | undefined): Promise<{ embeddings: { values: number[] }[]; dimensions: number; model: string }> {
    checkEmbedTexts(request.texts);
    const model = this.modelName(request.model);
    const signal = deadlineMs === undefined ? new AbortController().signal : AbortSignal.timeout(Math.max(0, deadlineMs - Date.now()));
    await this.resourcesOk(signal, () => undefined);
    if (signal.aborted) throw new ModelsError(ModelsErrorCode.BackendUnavailable, `Resources stayed critical until the deadline: ${this.critical ?? ''}`);
    try {
      const response = await this.connection.client(signal).embed({ model, input: [...request.texts], keep_alive: this.keepAlive() });
      return { embeddings: response.embeddings.map((values) => ({ values })), dimensions: response.embeddings[0]?.length ?? 0, model };
    } catch (error) {
      throw this.connection.failure(error, model);
    }
  }

  /** Ollama's loaded models (/api/ps: name, size in memory, when it unloads them). */
  async status(): Promise<MessageInitShape<typeof ModelsStatusResponseSchema>> {
    let loaded;
    try {
      loaded = (await this.connection.client().ps()).models;
    } catch (error) {
      throw this.connection.failure(error);
    }
    const waiting = this.generations.waiting();
    return {
      backend: 'ollama',
      loaded: loaded.map((model) => ({
        name: model.name,
        memoryBytes: BigInt(Math.max(0, Math.round(model.size ?? 0))),
        gpu: (model.size_vram ?? 0) > 0 ? 'ollama (gpu)' : 'ollama',
        ...(model.expires_at ? { unloadAt: timestampFromDate(new Date(model.expires_at)) } : {}),
      })),
      running: [...this.generations.values()].filter((generation) => generation.phase === 'running').length,
      waiting,
      lastUnloadReason: this.lastUnloadReason,
      rssBytes: BigInt(process.memoryUsage.rss()),
    };
  }

  /** Asks Ollama to unload `name` now (keep_alive 0). */
  async unloadModel(name: string): Promise<void> {
    try {
      await this.connection.client().generate({ model: name, prompt: '', keep_alive: 0, stream: false });
    } catch (error) {
      throw this.connection.failure(error, name);
    }
  }

  async stop(): Promise<void> {
    this.generations.endAll();
    await Promise.resolve();
  }

  /** Resources turned critical (a reason) or recovered (undefined): running requests stop, Ollama unloads its models. */
  setCritical(reason: string | undefined): void {
    const was = this.critical;
    this.critical = reason;
    if (reason === undefined) {
      for (const resolve of this.recovered.splice(0)) resolve();
      return;
    }
    if (was !== undefined) return;
    for (const generation of this.generations.values()) generation.evict(reason);
    void this.unloadAll();
  }

  private async unloadAll(): Promise<void> {
    try {
      const { models } = await this.connection.client().ps();
      for (const model of models) {
        await this.unloadModel(model.name);
        this.logger.info({ model: model.name, reason: 'critical' }, 'Ollama asked to unload the model');
      }
      this.lastUnloadReason = 'critical';
    } catch (error) {
      this.logger.warn({ err: error }, 'Ollama could not be asked to unload its models');
    }
  }

  private resourcesOk(signal: AbortSignal, onWaiting: (reason: string) => void): Promise<void> {
    if (this.critical === undefined || signal.aborted) return Promise.resolve();
    onWaiting(`resources are critical (${this.critical}); waiting for them to recover`);
    return new Promise<void>((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done);
        this.recovered = this.recovered.filter((other) => other !== done);
        resolve();
      };
      this.recovered.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  /** A Go duration Ollama reads as keep_alive. */
  private keepAlive(): string {
    const ms = this.onBattery ? Math.min(this.settings.keepAliveOnBatteryMs, this.settings.keepAliveMs) : this.settings.keepAliveMs;
    return `${ms}ms`;
  }

  private modelName(name: string | undefined): string {
    if (name) return name;
    throw new ModelsError(
      ModelsErrorCode.NoModel,
      'Name an Ollama model (one that `ollama list` shows, e.g. llama3.2:3b): with models.backend: ollama, aico’s catalog does not choose one.',
      { field: 'model' },
    );
  }
}
