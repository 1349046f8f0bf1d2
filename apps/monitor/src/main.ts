// The monitor process: resource samples and state, user activity, and job admission over the bus.
import 'reflect-metadata';
import { runService } from '@aico/service';
import { MonitorAppModule } from './monitor-app.module';
import { monitorConfigSchema } from './monitor.config';

void runService({ identity: 'monitor', module: MonitorAppModule, configSchema: monitorConfigSchema });
