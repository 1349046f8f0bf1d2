// The fit check before every load (Deliver 2): llama.cpp's estimate of what the model and its context take (GGUF
// insights, from the header alone) against the memory there is, less the monitor's critical limit (a model that
// took memory below it would be unloaded at once), minus the configured headroom. A model that does
// not fit is refused with the numbers and what to try (catalog/fit-check.ts) before a byte of it is loaded.
import { freemem } from 'node:os';
import { assertFits, checkFit, estimateMemory, type FitDecision, type FitInput } from '../catalog/fit-check';
import type { Llama, NodeLlamaCppLoader } from '../node-llama-cpp';
import type { BeforeLoadHook, LoadPlan } from './before-load.hook';

export interface FitCheckOptions {
  readonly loader: NodeLlamaCppLoader;
  readonly headroomBytes: number;
  /** Available memory (libuv reads MemAvailable on Linux: page cache that can be dropped counts as available). */
  readonly availableMemory?: () => number;
}

export class FitCheckBeforeLoad implements BeforeLoadHook {
  constructor(private readonly options: FitCheckOptions) {}

  async beforeLoad(plan: LoadPlan, llama: Llama): Promise<void> {
    assertFits(await this.fitInput(plan, llama));
  }

  /** The same decision without refusing anything (the catalog's with_fit listing). */
  async check(plan: LoadPlan, llama: Llama): Promise<FitDecision> {
    return checkFit(await this.fitInput(plan, llama));
  }

  private async fitInput(plan: LoadPlan, llama: Llama): Promise<FitInput> {
    const api = await this.options.loader();
    // With a GPU, 'auto' lets node-llama-cpp split the layers by the VRAM there is: the estimate is taken for the CPU
    // alone and held against RAM and free VRAM together, so the check refuses only what fits nowhere.
    const estimate = await estimateMemory(api, llama, plan.model.absolutePath, {
      contextSize: plan.contextSize,
      sequences: plan.sequences,
      gpuLayers: typeof plan.gpuLayers === 'number' ? plan.gpuLayers : 0,
    });
    const freeVramBytes = llama.gpu === false ? 0 : (await llama.getVramState()).free;
    const freeRamBytes = usableMemory((this.options.availableMemory ?? freemem)(), plan.memoryFloorBytes ?? 0);
    return {
      model: { name: plan.model.name, quantization: plan.model.quantization, parameters: plan.model.parameters },
      estimate,
      freeRamBytes: plan.gpuLayers === 'auto' ? freeRamBytes + freeVramBytes : freeRamBytes,
      freeVramBytes: plan.gpuLayers === 'auto' ? 0 : freeVramBytes,
      headroomBytes: this.options.headroomBytes,
    };
  }
}

/** Available memory that a model may take: what is available less what the monitor's critical limit keeps free. */
export function usableMemory(availableBytes: number, floorBytes: number): number {
  return Math.max(0, availableBytes - Math.max(0, floorBytes));
}
