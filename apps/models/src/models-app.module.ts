import { Module } from '@nestjs/common';

/** The models service's handlers and providers (engine, admission, catalog) are wired here. */
@Module({})
export class ModelsAppModule {}
