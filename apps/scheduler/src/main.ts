// The scheduler process: cron and interval tasks (built-in and registered over the bus) with retries, dead letters,
// overlap prevention, missed-run policies and run history, all persisted through storage.
import 'reflect-metadata';
import { runService } from '@aico/service';
import { SchedulerAppModule } from './scheduler-app.module';
import { schedulerConfigSchema } from './scheduler.config';

void runService({ identity: 'scheduler', module: SchedulerAppModule.forRoot(), configSchema: schedulerConfigSchema });
