// The models service's settings: which back end runs the models (llama.cpp in this process through node-llama-cpp,
// or an Ollama server the user already runs), where the catalog's files are, how a model is loaded (GPU, threads,
// context, parallel sequences), how long it stays loaded, and how generations wait.
import { join } from 'node:path';
import { baseConfigSchema, configInteger, z } from '@aico/config';

export const modelsConfigSchema = baseConfigSchema.extend({
  models: z
    .object({
      /**
       * llama.cpp: models from aico's catalog, in this process. ollama: models of an Ollama server the user runs
       * (Ollama's own names, e.g. llama3.2:3b; aico's catalog does not apply), at ollamaUrl.
       */
      backend: z.enum(['llama.cpp', 'ollama']).default('llama.cpp'),
      /** The Ollama server (backend: ollama): http only on this machine (loopback), https anywhere. */
      ollamaUrl: z
        .url()
        .default('http://127.0.0.1:11434')
        .refine((url) => isLoopbackOrHttps(url), {
          message:
            'models.ollamaUrl must be https, or http on this machine (127.0.0.1, ::1, localhost): prompts and answers would cross the network in clear text.',
        }),
      /** The catalog's weight files; by default <dataDir>/models. */
      dir: z.string().min(1).optional(),
      /** auto: the GPU the prebuilt llama.cpp finds (Metal, CUDA, Vulkan), else the CPU. */
      gpu: z.enum(['auto', 'cpu', 'cuda', 'vulkan', 'metal']).default('auto'),
      /**
       * Threads for decoding; 0 picks the measured default. llama.cpp's threads spin at barriers: more threads than
       * free cores makes decoding many times slower (docs/architecture.md §9).
       */
      threads: configInteger.min(0).max(256).default(0),
      /** Context size of a loaded model in tokens; 0: the model's trained length, capped at maxContextSize. */
      contextSize: configInteger.min(0).default(0),
      maxContextSize: configInteger.min(64).default(8_192),
      /** Generations that run at once on one loaded model (context sequences); more wait in order. */
      sequences: configInteger.min(1).max(64).default(1),
      /** Generations that may wait; more are refused (MODELS_BUSY). */
      maxWaiting: configInteger.min(0).default(32),
      /** A model nobody uses is unloaded after this; on battery after keepAliveOnBatteryMs. */
      keepAliveMs: configInteger.min(0).default(5 * 60_000),
      keepAliveOnBatteryMs: configInteger.min(0).default(60_000),
      /** Tokens a generation may write when the request does not say. */
      defaultMaxTokens: configInteger.min(1).default(1_024),
      /** Memory kept free beyond what a model and its context are estimated to need (the fit check). */
      memoryHeadroomBytes: configInteger.min(0).default(512 * 1024 * 1024),
      /** A generation's monitor lease, renewed while it streams. */
      jobLeaseMs: configInteger.min(1_000).default(60_000),
      /** Temperature when a request does not say (0 is greedy). */
      defaultTemperature: z.coerce.number().min(0).max(2).default(0.7),
      /**
       * A generation ends (stop reason DEADLINE, with its text so far) this long before its request's deadline, so
       * the final reply reaches the requester before the requester gives up (halfway to a deadline nearer than twice this).
       */
      deadlineMarginMs: configInteger.min(0).default(1_000),
      /** How long the monitor may take to answer a job submit before it counts as not answering. */
      admissionTimeoutMs: configInteger.min(100).default(5_000),
      /** llama.cpp's log lines from this level up go to the service log (errors and warnings as such, the rest at debug). */
      engineLogLevel: z.enum(['error', 'warn', 'info', 'debug']).default('warn'),
      /**
       * A diagnostic for tests and debugging, off by default: every rendered prompt (the text the model received,
       * what people said included) is appended to this file as a JSON line, mode 0600. Never set it for normal use.
       */
      promptLogFile: z.string().min(1).optional(),
      /** How long a failed load waits for llama.cpp's reason to reach its log. */
      failureReasonWaitMs: configInteger.min(0).default(5_000),
    })
    .prefault({}),
});

export type ModelsConfig = z.infer<typeof modelsConfigSchema>;

/** Whether an Ollama URL keeps prompts off the network in clear text. */
export function isLoopbackOrHttps(text: string): boolean {
  const url = new URL(text);
  if (url.protocol === 'https:') return true;
  if (url.protocol !== 'http:') return false;
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

/** Where the catalog's weight files are. */
export const modelsDir = (config: ModelsConfig): string => config.models.dir ?? join(config.dataDir, 'models');
