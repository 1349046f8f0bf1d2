// Makes a model resident in the models app as a user would: `aico models import <file>` puts the generated GGUF
// into the catalog, `aico generate --raw` with a few tokens loads it (it stays loaded for the models app's default
// keep-alive, 5 minutes, longer than the settle and idle window that follow). The models app's own status says
// what it loaded.
import { statSync } from 'node:fs';
import { type BusClient } from '@aico/bus';
import { ModelsTopics } from '@aico/contracts';
import { mib } from '../support/bench-runtime';
import type { RunningSystem } from './running-system';

const MODEL_NAME = 'footprint';

export interface ResidentModel {
  readonly name: string;
  readonly fileMiB: number;
  readonly parameters: number;
  readonly quantization: string;
  readonly contextSize: number;
  readonly threads: number;
  readonly gpu: string;
  readonly loadMs: number;
  /** What the models app attributes to the model and its context. */
  readonly modelsStatusMemoryMiB: number;
  /** `aico generate` of 8 tokens, from the spawn to its exit (the load included). */
  readonly firstGenerationMs: number;
}

export async function makeModelResident(system: RunningSystem, bus: BusClient, modelPath: string): Promise<ResidentModel> {
  await system.aico(['models', 'import', modelPath, '--name', MODEL_NAME]);
  const started = performance.now();
  await system.aico(['generate', '--raw', '--model', MODEL_NAME, '--temperature', '0', '--max-tokens', '8', 'abc']);
  const firstGenerationMs = Math.round(performance.now() - started);
  const [status, catalog] = await Promise.all([
    bus.request(ModelsTopics.status, {}, { timeoutMs: 30_000 }),
    bus.request(ModelsTopics.catalogList, {}, { timeoutMs: 30_000 }),
  ]);
  const loaded = status.loaded.find((model) => model.name === MODEL_NAME);
  if (!loaded) throw new Error(`the models app has not kept ${MODEL_NAME} loaded: ${JSON.stringify(status.loaded.map((model) => model.name))}`);
  const entry = catalog.models.find((model) => model.id === MODEL_NAME);
  return {
    name: MODEL_NAME,
    fileMiB: mib(statSync(modelPath).size)!,
    parameters: Number(entry?.parameters ?? 0),
    quantization: entry?.quantization ?? '',
    contextSize: loaded.contextSize,
    threads: loaded.threads,
    gpu: loaded.gpu,
    loadMs: loaded.loadMs,
    modelsStatusMemoryMiB: mib(Number(loaded.memoryBytes))!,
    firstGenerationMs,
  };
}

/** Whether the model is still loaded (after the idle window: the figures were taken with it in memory). */
export async function stillLoaded(bus: BusClient): Promise<boolean> {
  const status = await bus.request(ModelsTopics.status, {}, { timeoutMs: 30_000 });
  return status.loaded.some((model) => model.name === MODEL_NAME);
}
