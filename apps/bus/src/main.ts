// The bus process: the CURVE-secured ZeroMQ proxy every other aico process talks through.
import 'reflect-metadata';
import { runService } from '@aico/service';
import { busAppConfigSchema } from './bus-app.config';
import { BusAppModule } from './bus-app.module';

void runService({ identity: 'bus', module: BusAppModule, configSchema: busAppConfigSchema });
