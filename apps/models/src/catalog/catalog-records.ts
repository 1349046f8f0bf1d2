// Where catalog entries are kept: typed storage records (RecordKind.MODEL), which only the models service may write,
// so they are in the backups (the weight files are not). An abstract class, so the catalog's unit spec can keep
// entries in memory at the edge; the real one talks to storage over the bus.
import { RecordKind, type CatalogModel } from '@aico/contracts';
import type { StorageClient } from '@aico/storage-client';

export abstract class CatalogRecords {
  /** Every entry, by name. */
  abstract all(): Promise<CatalogModel[]>;
  /** Inserts or replaces an entry. */
  abstract put(model: CatalogModel): Promise<void>;
  /** Whether there was an entry to delete. */
  abstract delete(name: string): Promise<boolean>;
}

export class StorageCatalogRecords extends CatalogRecords {
  constructor(private readonly storage: StorageClient) {
    super();
  }

  async all(): Promise<CatalogModel[]> {
    const models: CatalogModel[] = [];
    for await (const record of this.storage.allRecords(RecordKind.MODEL)) if (record.kind.case === 'model') models.push(record.kind.value);
    return models;
  }

  async put(model: CatalogModel): Promise<void> {
    await this.storage.putRecord({ kind: { case: 'model', value: model } });
  }

  async delete(name: string): Promise<boolean> {
    return (await this.storage.deleteRecord(RecordKind.MODEL, name)).deleted;
  }
}

/** Entries in memory: for specs of the catalog's rules. */
export class InMemoryCatalogRecords extends CatalogRecords {
  readonly entries = new Map<string, CatalogModel>();

  all(): Promise<CatalogModel[]> {
    return Promise.resolve([...this.entries.values()].sort((a, b) => a.id.localeCompare(b.id)));
  }

  put(model: CatalogModel): Promise<void> {
    this.entries.set(model.id, model);
    return Promise.resolve();
  }

  delete(name: string): Promise<boolean> {
    return Promise.resolve(this.entries.delete(name));
  }
}
