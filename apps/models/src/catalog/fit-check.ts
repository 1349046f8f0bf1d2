// The fit check before a model is loaded: will the model and its context fit in the memory there is, with the
// configured headroom left free? A pure decision on numbers (checkFit), so it is tested without a machine of a given
// size; the numbers come from node-llama-cpp's GGUF insights (estimateMemory: llama.cpp's own estimate, no weights
// loaded). A refusal says the numbers and what to try instead: a smaller context, a smaller quantization or model,
// closing other applications, fewer GPU layers.
import type { Llama, NodeLlamaCpp } from '../node-llama-cpp';
import { formatBytes } from './model-files';
import { ModelsError, ModelsErrorCode } from '../models.error';

export interface MemoryEstimate {
  readonly modelRamBytes: number;
  readonly modelVramBytes: number;
  readonly contextRamBytes: number;
  readonly contextVramBytes: number;
  /** The context size (tokens, all sequences) the context estimate is for. */
  readonly contextSize: number;
}

export interface FitInput {
  readonly model: { readonly name: string; readonly quantization: string; readonly parameters: bigint | number };
  readonly estimate: MemoryEstimate;
  /** Memory that may be used: what the system has available, capped by the monitor's memory limit (the caller's choice). */
  readonly freeRamBytes: number;
  /** Free GPU memory; 0 on the CPU. */
  readonly freeVramBytes: number;
  /** Kept free beyond the estimate (models.memoryHeadroomBytes). */
  readonly headroomBytes: number;
}

export interface FitDecision {
  readonly fits: boolean;
  /** Model + context + headroom. */
  readonly neededRamBytes: number;
  readonly freeRamBytes: number;
  readonly neededVramBytes: number;
  readonly freeVramBytes: number;
  /** How much more memory it would take (RAM and VRAM together); 0 when it fits. */
  readonly shortByBytes: number;
  /** The largest context (tokens, a multiple of 256) that would fit with this model, when smaller than asked. */
  readonly contextThatFits?: number;
  readonly suggestions: readonly string[];
  /** One sentence with the numbers and the suggestions; '' when it fits. */
  readonly message: string;
}

/** Quantizations larger than Q4_K_M: a Q4_K_M file of the same model is a good deal smaller. */
const LARGER_THAN_Q4_K_M = new Set(['F32', 'F16', 'BF16', 'Q8_0', 'Q6_K', 'Q5_K_M', 'Q5_K_S', 'Q5_0', 'Q5_1', 'Q4_1']);
/** Q4_K_M's average bits per weight (llama.cpp's quantize table: about 4.9). */
const Q4_K_M_BITS_PER_WEIGHT = 4.9;
/** A context smaller than this is not worth suggesting: a chat does not fit in it. */
const SMALLEST_USEFUL_CONTEXT = 512;

export function checkFit(input: FitInput): FitDecision {
  const { estimate, headroomBytes } = input;
  const neededRamBytes = estimate.modelRamBytes + estimate.contextRamBytes + headroomBytes;
  const neededVramBytes = estimate.modelVramBytes + estimate.contextVramBytes;
  const ramShort = Math.max(0, neededRamBytes - input.freeRamBytes);
  const vramShort = Math.max(0, neededVramBytes - input.freeVramBytes);
  const decision = {
    neededRamBytes,
    freeRamBytes: input.freeRamBytes,
    neededVramBytes,
    freeVramBytes: input.freeVramBytes,
    shortByBytes: ramShort + vramShort,
  };
  if (ramShort === 0 && vramShort === 0) return { ...decision, fits: true, suggestions: [], message: '' };

  const suggestions: string[] = [];
  let contextThatFits: number | undefined;
  if (ramShort > 0) {
    // Context memory grows about linearly with its size (the KV cache); the model's part does not shrink.
    const perToken = estimate.contextSize > 0 ? estimate.contextRamBytes / estimate.contextSize : 0;
    const roomForContext = input.freeRamBytes - headroomBytes - estimate.modelRamBytes;
    if (perToken > 0 && roomForContext > 0) {
      const tokens = Math.floor(roomForContext / perToken / 256) * 256;
      if (tokens >= SMALLEST_USEFUL_CONTEXT && tokens < estimate.contextSize) {
        contextThatFits = tokens;
        suggestions.push(`a smaller context (models.contextSize ${tokens} or less, instead of ${estimate.contextSize})`);
      }
    }
    const quantization = input.model.quantization.toUpperCase();
    if (LARGER_THAN_Q4_K_M.has(quantization)) {
      const q4Bytes = (Number(input.model.parameters) * Q4_K_M_BITS_PER_WEIGHT) / 8;
      suggestions.push(
        `a smaller quantization of this model (a Q4_K_M file is about ${formatBytes(q4Bytes)}, this ${quantization} one needs ${formatBytes(estimate.modelRamBytes)})`,
      );
    } else {
      suggestions.push('a smaller model (fewer parameters)');
    }
    suggestions.push(`closing other applications (${formatBytes(ramShort)} more memory is needed)`);
  }
  if (vramShort > 0) suggestions.push('fewer GPU layers, or the CPU (models.gpu: cpu)');

  const parts = [
    ramShort > 0
      ? `it needs about ${formatBytes(neededRamBytes)} of memory (the model ${formatBytes(estimate.modelRamBytes)}, a context of ${estimate.contextSize} tokens ${formatBytes(estimate.contextRamBytes)}, ${formatBytes(headroomBytes)} kept free) and ${formatBytes(input.freeRamBytes)} is available`
      : '',
    vramShort > 0 ? `it needs about ${formatBytes(neededVramBytes)} of GPU memory and ${formatBytes(input.freeVramBytes)} is free` : '',
  ].filter(Boolean);
  const message = `Model "${input.model.name}" does not fit: ${parts.join('; ')}. Try ${suggestions.join(', or ')}.`;
  return { ...decision, fits: false, ...(contextThatFits === undefined ? {} : { contextThatFits }), suggestions, message };
}

/** checkFit, refusing with DOES_NOT_FIT (the numbers in the message and the details) when it does not fit. */
export function assertFits(input: FitInput): FitDecision {
  const decision = checkFit(input);
  if (!decision.fits) {
    throw new ModelsError(ModelsErrorCode.DoesNotFit, decision.message, {
      model: input.model.name,
      neededRamBytes: String(decision.neededRamBytes),
      freeRamBytes: String(decision.freeRamBytes),
      neededVramBytes: String(decision.neededVramBytes),
      freeVramBytes: String(decision.freeVramBytes),
      shortByBytes: String(decision.shortByBytes),
      ...(decision.contextThatFits === undefined ? {} : { contextThatFits: String(decision.contextThatFits) }),
    });
  }
  return decision;
}

export interface EstimateOptions {
  readonly contextSize: number;
  readonly sequences?: number;
  readonly gpuLayers?: number;
}

/**
 * llama.cpp's estimate of what a model and a context of `contextSize` take, from the GGUF header alone (no weights
 * loaded). Needs the engine's Llama (its backend decides what goes to the GPU).
 */
export async function estimateMemory(
  api: Pick<NodeLlamaCpp, 'readGgufFileInfo' | 'GgufInsights'>,
  llama: Llama,
  modelPath: string,
  options: EstimateOptions,
): Promise<MemoryEstimate> {
  const gpuLayers = options.gpuLayers ?? 0;
  const info = await api.readGgufFileInfo(modelPath, { sourceType: 'filesystem', logWarnings: false });
  const insights = await api.GgufInsights.from(info, llama);
  const model = await insights.estimateModelResourceRequirementsV2({ gpuLayers });
  const context = await insights.estimateContextResourceRequirementsV2({
    contextSize: options.contextSize,
    modelGpuLayers: gpuLayers,
    sequences: options.sequences ?? 1,
  });
  return {
    modelRamBytes: model.cpuRam,
    modelVramBytes: model.gpuVram,
    contextRamBytes: context.cpuRam,
    contextVramBytes: context.gpuVram,
    contextSize: options.contextSize,
  };
}
