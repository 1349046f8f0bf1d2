import { Module } from '@nestjs/common';
import { CatalogModule } from './catalog/catalog.module';

/** The models service's handlers and providers (engine, admission, catalog) are wired here. */
@Module({
  imports: [CatalogModule],
})
export class ModelsAppModule {}
