// `models.catalog.list` with `with_fit`: per model whose file is present, whether it fits this machine now — the
// same estimate as the fit check before every load (llama.cpp's GGUF insights from the header, no weights loaded),
// against the memory available now less the monitor's critical share and the headroom. The engine answers it
// (MODEL_FIT, looked up like MODEL_RESIDENCY); without an engine (the Ollama back end) no fits are listed.
import { join } from 'node:path';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { CatalogModel, ModelFitSchema } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import type { ResolvedModel } from '../engine/model-resolver';
import type { FitDecision } from './fit-check';

export interface ModelFitCheck {
  /** The fit check's decision for this model with the context it would get, without loading it. */
  fit(model: ResolvedModel): Promise<FitDecision>;
}

export const MODEL_FIT = Symbol('MODEL_FIT');

export type ModelFitInit = MessageInitShape<typeof ModelFitSchema>;

export function toModelFit(name: string, decision: FitDecision): ModelFitInit {
  return {
    model: name,
    fits: decision.fits,
    requiredBytes: BigInt(Math.round(decision.neededRamBytes + decision.neededVramBytes)),
    availableBytes: BigInt(Math.round(decision.freeRamBytes + decision.freeVramBytes)),
    advice: decision.fits ? '' : decision.suggestions.join('; '),
  };
}

/**
 * The fits of the listed models whose file is present, one after another (each estimate reads a GGUF header; at
 * once they would only compete for the disk). A model whose estimate fails is left out and logged: the listing
 * still answers.
 */
export async function fitsOf(
  listing: { models: readonly CatalogModel[]; modelsDir: string; missingFiles: readonly string[] },
  check: ModelFitCheck,
  logger: Logger,
): Promise<ModelFitInit[]> {
  const fits: ModelFitInit[] = [];
  const missing = new Set(listing.missingFiles);
  for (const model of listing.models) {
    if (missing.has(model.id)) continue;
    try {
      const decision = await check.fit({
        name: model.id,
        absolutePath: join(listing.modelsDir, model.file),
        contextLength: model.contextLength,
        quantization: model.quantization,
        parameters: model.parameters,
      });
      fits.push(toModelFit(model.id, decision));
    } catch (error) {
      logger.warn({ model: model.id, err: error }, 'Could not estimate whether a model fits');
    }
  }
  return fits;
}
