// Which file a request means: a catalog name, or the model in use for a purpose. The engine only needs the name,
// the file and the context length the model was trained for; the catalog (apps/models/src/catalog) knows more.
import { join } from 'node:path';
import { ModelPurpose, RecordKind, type CatalogModel } from '@aico/contracts';
import type { StorageClient } from '@aico/storage-client';
import { ModelsError, ModelsErrorCode } from '../models.error';

export interface ResolvedModel {
  /** The catalog name. */
  readonly name: string;
  readonly absolutePath: string;
  /** The context length the model was trained for (0: unknown, the file's metadata says). */
  readonly contextLength: number;
}

export interface ModelQuery {
  /** A catalog name; empty: the model in use for `purpose`. */
  readonly name?: string;
  readonly purpose: ModelPurpose;
}

/** Finds the model a request means; throws ModelsError (UNKNOWN_MODEL, NO_MODEL) when there is none. */
export interface ModelResolver {
  resolve(query: ModelQuery): Promise<ResolvedModel>;
}

/** Injection token of the ModelResolver. */
export const MODEL_RESOLVER = Symbol('MODEL_RESOLVER');

const PURPOSE_NAMES: Readonly<Record<ModelPurpose, string>> = {
  [ModelPurpose.UNSPECIFIED]: 'chat',
  [ModelPurpose.CHAT]: 'chat',
  [ModelPurpose.BACKGROUND]: 'background',
  [ModelPurpose.EMBEDDING]: 'embedding',
};

export const purposeName = (purpose: ModelPurpose): string => PURPOSE_NAMES[purpose] ?? 'chat';

/**
 * Reads the catalog's records (RecordKind.MODEL) from storage; the files live in the models directory. Background
 * work uses the chat model unless a model is set for it (most people have one model).
 */
export class StorageModelResolver implements ModelResolver {
  constructor(
    private readonly storage: Pick<StorageClient, 'getRecord' | 'allRecords'>,
    private readonly modelsDir: string,
  ) {}

  async resolve(query: ModelQuery): Promise<ResolvedModel> {
    if (query.name) {
      const { found, record } = await this.storage.getRecord(RecordKind.MODEL, query.name);
      if (!found || record?.kind.case !== 'model') {
        throw new ModelsError(ModelsErrorCode.UnknownModel, `No model "${query.name}" is in the catalog; "aico models list" shows the models there are.`, { model: query.name });
      }
      return this.toResolved(record.kind.value);
    }
    const purpose = query.purpose === ModelPurpose.UNSPECIFIED ? ModelPurpose.CHAT : query.purpose;
    const candidates = purpose === ModelPurpose.BACKGROUND ? [ModelPurpose.BACKGROUND, ModelPurpose.CHAT] : [purpose];
    const models: CatalogModel[] = [];
    for await (const record of this.storage.allRecords(RecordKind.MODEL)) if (record.kind.case === 'model') models.push(record.kind.value);
    for (const wanted of candidates) {
      const model = models.find((candidate) => candidate.usedFor.includes(wanted));
      if (model) return this.toResolved(model);
    }
    const name = purposeName(purpose);
    throw new ModelsError(
      ModelsErrorCode.NoModel,
      models.length === 0
        ? `No model is in the catalog: import one with "aico models import <file.gguf>" or "aico models pull <url>", then "aico models use <name> --for ${name}".`
        : `No model is in use for ${name}: choose one with "aico models use <name> --for ${name}" (the catalog has ${models.map((model) => model.id).join(', ')}).`,
      { purpose: name },
    );
  }

  private toResolved(model: CatalogModel): ResolvedModel {
    return { name: model.id, absolutePath: join(this.modelsDir, model.file), contextLength: model.contextLength };
  }
}
