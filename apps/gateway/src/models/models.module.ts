// The Models page: the catalog, imports, pulls (progress to the user's WebSockets) and the chat model.
import { Module } from '@nestjs/common';
import { WsModule } from '../ws/ws.module';
import { ModelPulls } from './model-pulls';
import { ModelsController } from './models.controller';
import { ModelsService } from './models.service';

@Module({ imports: [WsModule], controllers: [ModelsController], providers: [ModelsService, ModelPulls], exports: [ModelsService, ModelPulls] })
export class ModelsModule {}
