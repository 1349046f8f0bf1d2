// The llama.cpp engine of the models service: one Llama (the prebuilt binary only: nothing is compiled or
// downloaded, docs/architecture.md §9), at most one model resident with one context of `sequences` parallel sequences, and
// small vocabulary-only models for counting tokens of models that are not loaded. Loads are one at a time (the
// engine's log then belongs to the load that is running, which is how a failure gets llama.cpp's own reason).
// When to load and unload is the scheduler's business (generation/model-scheduler.ts), not this class's.
import type { Logger } from '@aico/logging';
import { ModelsError, ModelsErrorCode } from '../models.error';
import type { BeforeLoadHook, LoadPlan } from './before-load.hook';
import { EngineLog, type EngineLogLevel } from './engine-log';
import { classifyLoadFailure, LOAD_FAILED_LINE } from './load-failure';
import type { ResolvedModel } from './model-resolver';
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, NodeLlamaCpp, NodeLlamaCppLoader } from '../node-llama-cpp';
import { defaultThreadCount } from './thread-count';

export interface EngineSettings {
  readonly gpu: 'auto' | 'cpu' | 'cuda' | 'vulkan' | 'metal';
  /** 0: the measured default (defaultThreadCount). */
  readonly threads: number;
  /** 0: the model's trained length, capped at maxContextSize. */
  readonly contextSize: number;
  readonly maxContextSize: number;
  readonly sequences: number;
  readonly logLevel: EngineLogLevel;
  /** How long a failed load waits for llama.cpp's reason to reach its log. */
  readonly failureReasonWaitMs: number;
}

/** The model in memory and its context. */
export interface ResidentModel {
  readonly model: ResolvedModel;
  readonly llamaModel: LlamaModel;
  readonly context: LlamaContext;
  readonly contextSize: number;
  readonly sequences: number;
  readonly threads: number;
  readonly gpu: string;
  readonly gpuLayers: number;
  readonly loadedAt: Date;
  readonly loadMs: number;
  /** node-llama-cpp's estimate of the memory the model and its context take (GGUF insights). */
  readonly estimatedBytes: number;
  /** How much this process's resident memory grew while loading (mmap'ed weights count once touched). */
  readonly rssGrowthBytes: number;
}

interface Runtime {
  readonly api: NodeLlamaCpp;
  readonly llama: Llama;
  readonly threads: number;
}

const TOKENIZER_CACHE = 2;

export class LlamaEngine {
  readonly log: EngineLog;
  private runtimeLoading: Promise<Runtime> | undefined;
  private current: ResidentModel | undefined;
  /** One load or unload at a time. */
  private lane: Promise<unknown> = Promise.resolve();
  private readonly tokenizers = new Map<string, Promise<LlamaModel>>();

  constructor(
    private readonly settings: EngineSettings,
    private readonly hook: BeforeLoadHook,
    private readonly logger: Logger,
    private readonly loader: NodeLlamaCppLoader,
  ) {
    this.log = new EngineLog(logger.child({ context: 'llama.cpp' }));
  }

  get resident(): ResidentModel | undefined {
    return this.current;
  }

  /** node-llama-cpp and its Llama, made at first use (about a second and ~80 MB: the service starts without it). */
  runtime(): Promise<Runtime> {
    this.runtimeLoading ??= this.openRuntime().catch((error: unknown) => {
      this.runtimeLoading = undefined;
      throw new ModelsError(ModelsErrorCode.LoadFailed, `The llama.cpp engine could not start: ${(error as Error).message}`);
    });
    return this.runtimeLoading;
  }

  /** Loads `model` (nothing may be resident) with its context; throws a classified ModelsError. */
  load(model: ResolvedModel): Promise<ResidentModel> {
    return this.serially(async () => {
      if (this.current) throw new Error(`internal: ${this.current.model.name} is still loaded`);
      const { api, llama, threads } = await this.runtime();
      const gpuLayers = llama.gpu === false ? 0 : 'auto';
      const plannedContext = this.contextSizeFor(model.contextLength);
      const plan: LoadPlan = { model, contextSize: plannedContext, sequences: this.settings.sequences, gpuLayers };
      await this.hook.beforeLoad(plan, llama);
      const mark = this.log.mark();
      const rssBefore = process.memoryUsage.rss();
      const started = performance.now();
      let llamaModel: LlamaModel;
      try {
        llamaModel = await llama.loadModel({ modelPath: model.absolutePath, gpuLayers });
      } catch (error) {
        throw await this.failure(model, error, mark);
      }
      let context: LlamaContext;
      const contextSize = this.contextSizeFor(model.contextLength || llamaModel.trainContextSize, llamaModel.trainContextSize);
      try {
        context = await llamaModel.createContext({ contextSize, sequences: this.settings.sequences, threads: { ideal: threads, min: 1 } });
      } catch (error) {
        await llamaModel.dispose().catch(() => undefined);
        throw new ModelsError(
          ModelsErrorCode.LoadFailed,
          `Model "${model.name}" loaded, but its context (${contextSize} tokens × ${this.settings.sequences} sequences) could not be made: ${(error as Error).message}. Try a smaller models.contextSize or fewer models.sequences.`,
          { model: model.name },
        );
      }
      const loadMs = Math.round(performance.now() - started);
      const resident: ResidentModel = {
        model,
        llamaModel,
        context,
        contextSize: context.contextSize,
        sequences: this.settings.sequences,
        threads,
        gpu: llama.gpu === false ? 'cpu' : llama.gpu,
        gpuLayers: llamaModel.gpuLayers,
        loadedAt: new Date(),
        loadMs,
        estimatedBytes: await this.estimate(llamaModel, context.contextSize),
        rssGrowthBytes: Math.max(0, process.memoryUsage.rss() - rssBefore),
      };
      this.current = resident;
      void api; // the module stays loaded for the next model
      return resident;
    });
  }

  /** Frees the resident model and its context (a no-op when none is loaded). */
  unload(): Promise<ResidentModel | undefined> {
    return this.serially(async () => {
      const resident = this.current;
      if (!resident) return undefined;
      this.current = undefined;
      await resident.context.dispose().catch((error: unknown) => this.logger.warn({ err: error }, 'The context did not dispose cleanly'));
      await resident.llamaModel.dispose().catch((error: unknown) => this.logger.warn({ err: error }, 'The model did not dispose cleanly'));
      return resident;
    });
  }

  /** A free sequence of the resident model's context (the scheduler hands out at most `sequences`). */
  sequence(): LlamaContextSequence {
    if (!this.current) throw new Error('internal: no model is loaded');
    return this.current.context.getSequence();
  }

  /**
   * A model that can tokenize `model`'s text: the resident one when it is that model, else its vocabulary alone
   * (loaded without weights, a few MB; the last two are kept).
   */
  async tokenizer(model: ResolvedModel): Promise<LlamaModel> {
    if (this.current?.model.absolutePath === model.absolutePath) return this.current.llamaModel;
    let loading = this.tokenizers.get(model.absolutePath);
    if (!loading) {
      loading = this.serially(async () => {
        const { llama } = await this.runtime();
        const mark = this.log.mark();
        try {
          return await llama.loadModel({ modelPath: model.absolutePath, vocabOnly: true });
        } catch (error) {
          throw await this.failure(model, error, mark);
        }
      });
      this.tokenizers.set(model.absolutePath, loading);
      loading.catch(() => this.tokenizers.delete(model.absolutePath));
      while (this.tokenizers.size > TOKENIZER_CACHE) {
        const [oldest, evicted] = this.tokenizers.entries().next().value!;
        this.tokenizers.delete(oldest);
        void evicted.then((vocab) => vocab.dispose()).catch(() => undefined);
      }
    }
    return loading;
  }

  /** The context size a model gets: the configured one, else its trained length capped at maxContextSize. */
  contextSizeFor(catalogLength: number, trainedLength = catalogLength): number {
    if (this.settings.contextSize > 0) return this.settings.contextSize;
    const trained = trainedLength > 0 ? trainedLength : catalogLength;
    return trained > 0 ? Math.min(trained, this.settings.maxContextSize) : this.settings.maxContextSize;
  }

  /** The threads generations use (after the engine started; before, the configured value or 0). */
  get threads(): number {
    return this.settings.threads;
  }

  async close(): Promise<void> {
    await this.unload();
    for (const vocab of this.tokenizers.values()) await vocab.then((model) => model.dispose()).catch(() => undefined);
    this.tokenizers.clear();
    const runtime = await this.runtimeLoading?.catch(() => undefined);
    await runtime?.llama.dispose().catch(() => undefined);
    this.runtimeLoading = undefined;
  }

  private async openRuntime(): Promise<Runtime> {
    const api = await this.loader();
    const gpu = this.settings.gpu === 'cpu' ? false : this.settings.gpu;
    const started = performance.now();
    // The thread count is set before any model exists: llama.cpp's default (max(cores, 4)) is the trap of
    // docs/architecture.md §9. maxThreads caps every context; contexts ask for exactly `threads`.
    const probe = await api.getLlama({
      build: 'never',
      skipDownload: true,
      gpu,
      logLevel: this.settings.logLevel as never,
      logger: this.log.add,
      maxThreads: Math.max(1, this.settings.threads),
      progressLogs: false,
    });
    const threads = this.settings.threads > 0 ? this.settings.threads : defaultThreadCount(probe.cpuMathCores);
    probe.maxThreads = threads;
    this.logger.info(
      {
        gpu: probe.gpu === false ? 'cpu' : probe.gpu,
        threads,
        cpuMathCores: probe.cpuMathCores,
        configuredThreads: this.settings.threads,
        startMs: Math.round(performance.now() - started),
      },
      'llama.cpp engine ready',
    );
    return { api, llama: probe, threads };
  }

  private async failure(model: ResolvedModel, error: unknown, mark: number): Promise<ModelsError> {
    // The reason is logged before llama.cpp's closing "failed to load model" line, possibly after the rejection.
    if (!(error as NodeJS.ErrnoException).code && /failed to load model/i.test((error as Error).message ?? '')) {
      await this.log.waitFor(LOAD_FAILED_LINE, mark, this.settings.failureReasonWaitMs);
    }
    const failure = classifyLoadFailure({
      modelName: model.name,
      path: model.absolutePath,
      error,
      engineLines: this.log.since(mark).map((line) => line.message),
    });
    this.logger.warn({ model: model.name, code: failure.code, reason: failure.details['reason'] }, 'A model failed to load');
    return failure;
  }

  private async estimate(model: LlamaModel, contextSize: number): Promise<number> {
    try {
      const insights = model.fileInsights;
      const weights = await insights.estimateModelResourceRequirementsV2({ gpuLayers: model.gpuLayers });
      const context = await insights.estimateContextResourceRequirementsV2({
        contextSize,
        modelGpuLayers: model.gpuLayers,
        sequences: this.settings.sequences,
      });
      return weights.cpuRam + context.cpuRam + weights.gpuVram + context.gpuVram;
    } catch (error) {
      this.logger.debug({ err: error }, 'No memory estimate for the model');
      return 0;
    }
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lane.then(work, work);
    this.lane = run.catch(() => undefined);
    return run;
  }
}
