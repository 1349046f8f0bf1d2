// What the rest of the models app (the engine) uses from the catalog.
export { CatalogModule } from './catalog.module';
export { ModelCatalog, purposeName, type ModelSelector, type ResolvedModel } from './model-catalog';
export { MODEL_RESIDENCY, noModelResidency, type ModelResidency } from './model-residency';
export { MODEL_FIT, type ModelFitCheck } from './model-fit';
export { assertFits, checkFit, estimateMemory, type EstimateOptions, type FitDecision, type FitInput, type MemoryEstimate } from './fit-check';
export { ModelsError, ModelsErrorCode } from '../models.error';
export { importNodeLlamaCpp, NODE_LLAMA_CPP, type NodeLlamaCpp, type NodeLlamaCppLoader } from '../node-llama-cpp';
export { formatBytes } from './model-files';
