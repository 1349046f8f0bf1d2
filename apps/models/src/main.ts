// The models process: the one aico process that loads model weights. Generations, token counts and embeddings
// over the bus, each generation admitted by the monitor; the model catalog.
import 'reflect-metadata';
import { runService } from '@aico/service';
import { ModelsAppModule } from './models-app.module';
import { modelsConfigSchema } from './models.config';

void runService({ identity: 'models', module: ModelsAppModule, configSchema: modelsConfigSchema });
