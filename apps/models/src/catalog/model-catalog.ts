// The model catalog: which models there are (storage records, one weight file each in the models directory), how
// one gets in (import of a local file, pull from a URL when a person asks), out (remove, after the engine released
// it), and what each purpose uses (at most one model per purpose). The engine asks it which file to load (resolve).
// The models service is the only writer of these records; changes are made one at a time, and a name being imported
// or pulled is reserved, so two requests never race for one name.
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { CatalogModelSchema, ModelPurpose, type CatalogModel } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import type { CatalogEvents } from './catalog-events';
import type { CatalogRecords } from './catalog-records';
import { downloadModelFile, type DownloadProgress } from './download/model-downloader';
import { parsePullSource, shownUrl } from './download/pull-source';
import { inspectGgufFile, type GgufFacts } from './gguf-inspection';
import {
  checkFreeSpace,
  checksumMismatch,
  copyWithSha256,
  isTemporaryFileName,
  normalizeSha256,
  placeAtomically,
  statfsFreeSpace,
  temporaryPathFor,
  type FreeSpace,
} from './model-files';
import { checkModelName, modelFileName, nameFromFileName } from './model-name';
import type { ModelResidency } from './model-residency';
import { ModelsError, ModelsErrorCode } from '../models.error';
import type { NodeLlamaCppLoader } from '../node-llama-cpp';

export interface ModelCatalogOptions {
  readonly modelsDir: string;
  readonly records: CatalogRecords;
  readonly events: CatalogEvents;
  readonly logger: Logger;
  readonly nodeLlamaCpp: NodeLlamaCppLoader;
  /** The engine's side, looked up when a model is removed. */
  readonly residency: () => ModelResidency;
  readonly freeSpace?: FreeSpace;
  readonly now?: () => number;
}

export interface ImportRequest {
  /** An absolute path the models service can read. */
  readonly path: string;
  readonly name?: string;
  readonly sha256?: string;
}

export interface PullRequest {
  /** An https URL, or hf:<owner>/<repo>/<file>.gguf. */
  readonly source: string;
  readonly name?: string;
  readonly sha256?: string;
}

export interface PullControl {
  readonly onProgress?: (progress: DownloadProgress) => void;
  /** Stops the download (the requester went away); what arrived is kept for a resume. */
  readonly signal?: AbortSignal;
}

export interface CatalogListing {
  readonly models: CatalogModel[];
  readonly modelsDir: string;
  /** Names whose weight file is not there. */
  readonly missingFiles: string[];
}

/** Which model to use: by name, else the one in use for a purpose (chat when unspecified). */
export interface ModelSelector {
  readonly name?: string;
  readonly purpose?: ModelPurpose;
}

export interface ResolvedModel {
  readonly entry: CatalogModel;
  readonly absolutePath: string;
}

export class ModelCatalog {
  private readonly modelsDir: string;
  private readonly freeSpace: FreeSpace;
  private readonly now: () => number;
  /** The entries as last read or written; the engine's lookups are answered from here. */
  private cache: Map<string, CatalogModel> | undefined;
  /** Names being imported or pulled. */
  private readonly reserved = new Set<string>();
  private changes: Promise<unknown> = Promise.resolve();
  private readonly stopping = new AbortController();

  constructor(private readonly options: ModelCatalogOptions) {
    this.modelsDir = options.modelsDir;
    this.freeSpace = options.freeSpace ?? statfsFreeSpace;
    this.now = options.now ?? Date.now;
  }

  /** Makes the models directory (0700) and removes temporary files a crash left (never a .part: it may be resumed). */
  async start(): Promise<void> {
    await mkdir(this.modelsDir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(this.modelsDir)) {
      if (!isTemporaryFileName(name)) continue;
      await rm(join(this.modelsDir, name), { force: true });
      this.options.logger.info({ file: name }, 'Removed a temporary model file left by an interrupted import');
    }
  }

  /** Stops running pulls (what arrived is kept for a resume). */
  stop(): void {
    this.stopping.abort();
  }

  async list(): Promise<CatalogListing> {
    const models = await this.refresh();
    const missingFiles: string[] = [];
    for (const model of models) {
      if (!(await this.fileExists(model))) missingFiles.push(model.id);
    }
    if (missingFiles.length > 0) this.options.logger.warn({ models: missingFiles, modelsDir: this.modelsDir }, 'Catalog models without their weight file');
    return { models, modelsDir: this.modelsDir, missingFiles };
  }

  async import(request: ImportRequest): Promise<CatalogModel> {
    if (!isAbsolute(request.path)) {
      throw new ModelsError(
        ModelsErrorCode.InvalidArgument,
        `"${request.path.slice(0, 200)}" is not an absolute path: the models service does not know the caller's working directory.`,
      );
    }
    const expected = normalizeSha256(request.sha256 ?? '');
    const api = await this.options.nodeLlamaCpp();
    // Checked before anything is copied: a wrong file fails in milliseconds, not after copying gigabytes.
    const first = await inspectGgufFile(request.path, api);
    const name = request.name ? checkModelName(request.name) : nameFromFileName(basename(request.path));
    return this.withReservedName(name, async () => {
      const target = join(this.modelsDir, modelFileName(name));
      await checkFreeSpace(this.freeSpace, this.modelsDir, Number(first.sizeBytes), request.path);
      const temporary = temporaryPathFor(target);
      const { sha256 } = await copyWithSha256(request.path, temporary, request.path);
      let facts: GgufFacts;
      try {
        if (expected && sha256 !== expected) throw checksumMismatch(request.path, expected, sha256, 'Nothing was imported.');
        // The copy is what the catalog describes (the source may have changed since it was checked).
        facts = await inspectGgufFile(temporary, api, request.path);
        await placeAtomically(temporary, target);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
      return this.add(name, facts, sha256, `import:${request.path}`, 'imported', target);
    });
  }

  async pull(request: PullRequest, control: PullControl = {}): Promise<CatalogModel> {
    const source = parsePullSource(request.source);
    const expected = normalizeSha256(request.sha256 ?? '');
    const name = request.name ? checkModelName(request.name) : nameFromFileName(source.fileName);
    const shown = shownUrl(source.url);
    return this.withReservedName(name, async () => {
      const api = await this.options.nodeLlamaCpp();
      const target = join(this.modelsDir, modelFileName(name));
      let facts: GgufFacts | undefined;
      const signal = control.signal ? AbortSignal.any([control.signal, this.stopping.signal]) : this.stopping.signal;
      this.options.logger.info({ model: name, source: shown }, 'Pulling a model');
      const result = await downloadModelFile({
        url: source.url,
        target,
        expectedSha256: expected,
        signal,
        freeSpace: this.freeSpace,
        check: async (path) => {
          facts = await inspectGgufFile(path, api, shown);
        },
        ...(control.onProgress ? { onProgress: control.onProgress } : {}),
      });
      // A hf: source is kept as given; a URL without its query, which may hold a token.
      const origin = request.source.trim().startsWith('hf:') ? request.source.trim() : shown;
      return this.add(name, facts!, result.sha256, origin, 'pulled', target);
    });
  }

  async remove(name: string): Promise<{ removed: boolean; freedBytes: bigint }> {
    return this.serialized(async () => {
      const model = await this.find(name, true);
      // Out of memory first: a loaded model keeps its file mapped.
      await this.options.residency().release(model.id);
      await this.options.records.delete(model.id);
      this.cache?.delete(model.id);
      const path = join(this.modelsDir, model.file);
      const freedBytes = await stat(path).then(
        (stats) => BigInt(stats.size),
        () => 0n,
      );
      await rm(path, { force: true });
      this.options.logger.info({ model: model.id, freedBytes: String(freedBytes) }, 'Removed a model');
      this.options.events.changed('removed', model);
      return { removed: true, freedBytes };
    });
  }

  /** Makes `name` the model for `purpose` (chat when unspecified), and no other. */
  async use(name: string, purpose: ModelPurpose = ModelPurpose.CHAT): Promise<CatalogModel> {
    const wanted = purpose === ModelPurpose.UNSPECIFIED ? ModelPurpose.CHAT : purpose;
    if (!Object.values(ModelPurpose).includes(wanted))
      throw new ModelsError(ModelsErrorCode.InvalidArgument, `Purpose ${purpose} is not one of chat, background, embedding.`);
    return this.serialized(async () => {
      const model = await this.find(name, true);
      // The others first: at worst (a failure in between) no model has the purpose, never two.
      for (const other of this.cache!.values()) {
        if (other.id === model.id || !other.usedFor.includes(wanted)) continue;
        const changed = create(CatalogModelSchema, { ...other, usedFor: other.usedFor.filter((p) => p !== wanted) });
        await this.options.records.put(changed);
        this.cache!.set(changed.id, changed);
      }
      if (model.usedFor.includes(wanted)) return model;
      const used = create(CatalogModelSchema, { ...model, usedFor: [...model.usedFor, wanted].sort((a, b) => a - b) });
      await this.options.records.put(used);
      this.cache!.set(used.id, used);
      this.options.events.changed('used', used);
      return used;
    });
  }

  /**
   * The model to load and its file, for the engine: by name (UNKNOWN_MODEL), else the model in use for the purpose
   * (background work falls back to the chat model; NO_MODEL when there is none). LOAD_FAILED when its file is gone.
   */
  async resolve(selector: ModelSelector = {}): Promise<ResolvedModel> {
    let entry: CatalogModel;
    if (selector.name) {
      entry = await this.find(selector.name, false);
    } else {
      const purpose = selector.purpose || ModelPurpose.CHAT;
      const models = this.cache ? [...this.cache.values()] : await this.refresh();
      const usedFor = (p: ModelPurpose) => models.find((model) => model.usedFor.includes(p));
      const found = usedFor(purpose) ?? (purpose === ModelPurpose.BACKGROUND ? usedFor(ModelPurpose.CHAT) : undefined);
      if (!found) {
        throw new ModelsError(
          ModelsErrorCode.NoModel,
          models.length === 0
            ? 'There is no model yet: import one ("aico models import <file.gguf>") or pull one ("aico models pull <url>").'
            : `No model is in use for ${purposeName(purpose)}: choose one with "aico models use <name> --for ${purposeName(purpose)}".`,
        );
      }
      entry = found;
    }
    const absolutePath = join(this.modelsDir, entry.file);
    if (!(await this.fileExists(entry))) {
      throw new ModelsError(
        ModelsErrorCode.LoadFailed,
        `The weight file of model "${entry.id}" is missing (${absolutePath}): import or pull it again, or remove it ("aico models remove ${entry.id}").`,
        { model: entry.id },
      );
    }
    return { entry, absolutePath };
  }

  /** The entry named `name`, read again from storage when not cached (or when `fresh`); UNKNOWN_MODEL if none. */
  private async find(name: string, fresh: boolean): Promise<CatalogModel> {
    let model = fresh || !this.cache ? undefined : this.cache.get(name);
    if (!model) model = (await this.refresh()).find((entry) => entry.id === name);
    if (!model) {
      throw new ModelsError(ModelsErrorCode.UnknownModel, `There is no model named "${name.slice(0, 80)}": "aico models list" shows the catalog.`, {
        model: name.slice(0, 80),
      });
    }
    return model;
  }

  private async refresh(): Promise<CatalogModel[]> {
    const models = (await this.options.records.all()).sort((a, b) => a.id.localeCompare(b.id));
    this.cache = new Map(models.map((model) => [model.id, model]));
    return models;
  }

  /** Runs `work` with `name` reserved: refused (ALREADY_EXISTS) while it is in the catalog or being added. */
  private async withReservedName<T>(name: string, work: () => Promise<T>): Promise<T> {
    await this.serialized(async () => {
      const exists = (await this.refresh()).some((model) => model.id === name);
      if (exists || this.reserved.has(name)) {
        throw new ModelsError(
          ModelsErrorCode.AlreadyExists,
          exists
            ? `A model named "${name}" is in the catalog already: choose another name (--name), or remove it first.`
            : `A model named "${name}" is being imported or pulled right now.`,
          { model: name },
        );
      }
      this.reserved.add(name);
    });
    try {
      await mkdir(this.modelsDir, { recursive: true, mode: 0o700 });
      return await work();
    } finally {
      this.reserved.delete(name);
    }
  }

  /** Records a model whose file is in place; the file is removed again if storage does not take the record. */
  private add(name: string, facts: GgufFacts, sha256: string, source: string, change: 'imported' | 'pulled', target: string): Promise<CatalogModel> {
    return this.serialized(async () => {
      const others = await this.refresh();
      const model = create(CatalogModelSchema, {
        id: name,
        file: modelFileName(name),
        sizeBytes: facts.sizeBytes,
        sha256,
        architecture: facts.architecture,
        parameters: facts.parameters,
        quantization: facts.quantization,
        contextLength: facts.contextLength,
        hasChatTemplate: facts.hasChatTemplate,
        embeddingLength: facts.embeddingLength,
        blockCount: facts.blockCount,
        displayName: facts.displayName,
        source: source.slice(0, 1000),
        addedAt: timestampFromMs(this.now()),
        // The first model is the one chat uses, so `aico generate` works right after the first import.
        usedFor: others.length === 0 ? [ModelPurpose.CHAT] : [],
      });
      try {
        await this.options.records.put(model);
      } catch (error) {
        await rm(target, { force: true });
        throw error;
      }
      this.cache!.set(model.id, model);
      this.options.logger.info(
        {
          model: name,
          architecture: model.architecture,
          parameters: String(model.parameters),
          quantization: model.quantization,
          sizeBytes: String(model.sizeBytes),
        },
        `Model ${change}`,
      );
      this.options.events.changed(change, model);
      return model;
    });
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.changes.then(work);
    this.changes = result.catch(() => undefined);
    return result;
  }

  private fileExists(model: CatalogModel): Promise<boolean> {
    return stat(join(this.modelsDir, model.file)).then(
      (stats) => stats.isFile(),
      () => false,
    );
  }
}

export function purposeName(purpose: ModelPurpose): string {
  switch (purpose) {
    case ModelPurpose.CHAT:
    case ModelPurpose.UNSPECIFIED:
      return 'chat';
    case ModelPurpose.BACKGROUND:
      return 'background';
    case ModelPurpose.EMBEDDING:
      return 'embedding';
  }
}
