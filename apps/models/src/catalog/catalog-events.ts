// `models.catalog.changed`: a model was imported, pulled, removed or put to use. Announcing is best effort: a change
// is done (and answered) whether or not the bus took the event.
import type { BusClient } from '@aico/bus';
import { ModelsTopics, type CatalogModel } from '@aico/contracts';
import type { Logger } from '@aico/logging';

export type CatalogChange = 'imported' | 'pulled' | 'removed' | 'used';

export abstract class CatalogEvents {
  abstract changed(change: CatalogChange, model: CatalogModel): void;
}

export class BusCatalogEvents extends CatalogEvents {
  constructor(
    private readonly bus: BusClient,
    private readonly logger: Logger,
  ) {
    super();
  }

  changed(change: CatalogChange, model: CatalogModel): void {
    this.bus.publish(ModelsTopics.catalogChanged, { change, model }).catch((error: unknown) => {
      this.logger.warn({ err: error, change, model: model.id }, 'The catalog change could not be announced on the bus');
    });
  }
}
