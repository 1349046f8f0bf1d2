import { Module, type DynamicModule } from '@nestjs/common';
import { BusClient } from '@aico/bus';
import { StorageClient } from '@aico/storage-client';
import { BuiltInTasks } from './built-in/built-in-tasks';
import { HealthSweep } from './built-in/health-sweep';
import { SystemClock, type Clock } from './clock';
import { RunHistory } from './run-history';
import { SchedulerController } from './scheduler.controller';
import { SCHEDULER_CLOCK, SCHEDULER_RANDOM } from './scheduler.tokens';
import { TaskRunner } from './task-runner';
import { TaskScheduler } from './task-scheduler.service';
import { TaskStore } from './task-store';

export interface SchedulerModuleOptions {
  /** Defaults to the system clock; tests pass a ManualClock. */
  readonly clock?: Clock;
  /** Jitter's random source; defaults to Math.random. */
  readonly random?: () => number;
}

@Module({})
export class SchedulerAppModule {
  static forRoot(options: SchedulerModuleOptions = {}): DynamicModule {
    return {
      module: SchedulerAppModule,
      controllers: [SchedulerController],
      providers: [
        { provide: SCHEDULER_CLOCK, useValue: options.clock ?? new SystemClock() },
        { provide: SCHEDULER_RANDOM, useValue: options.random ?? Math.random },
        { provide: StorageClient, inject: [BusClient], useFactory: (bus: BusClient) => new StorageClient(bus) },
        TaskStore,
        RunHistory,
        TaskRunner,
        HealthSweep,
        BuiltInTasks,
        TaskScheduler,
      ],
    };
  }
}
