import { Module } from '@nestjs/common';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { ActivityTracker } from './activity/activity-tracker';
import { execCommandRunner } from './activity/command-runner';
import { platformIdleProbes, type IdleProbe } from './activity/idle-probes';
import { BusJobAnnouncer } from './jobs/bus-job-announcer';
import { JobAdmission } from './jobs/job-admission';
import type { MonitorConfig } from './monitor.config';
import { MonitorController } from './monitor.controller';
import { MonitorService } from './monitor.service';
import { CLOCK, IDLE_PROBE_CANDIDATES, SYSTEM_PROBE, systemClock, type Clock } from './monitor.tokens';
import { ResourcePolicy } from './resources/resource-policy';
import { RecordedSampleProbe } from './resources/recorded-sample-probe';
import { ResourceSampler } from './resources/resource-sampler';
import { ServiceProcessTable } from './resources/service-processes';
import { SystemInformationProbe, type SystemProbe } from './resources/system-probe';

@Module({
  controllers: [MonitorController],
  providers: [
    { provide: CLOCK, useValue: systemClock },
    {
      provide: SYSTEM_PROBE,
      inject: [SERVICE_CONFIG, SERVICE_LOGGER],
      useFactory: (config: MonitorConfig, logger: Logger): SystemProbe => {
        const file = config.monitor.samplesFile;
        if (!file) return new SystemInformationProbe();
        logger.warn({ samplesFile: file }, 'Reading CPU, memory and battery from a recorded sample, not from this machine (monitor.samplesFile)');
        return new RecordedSampleProbe(file);
      },
    },
    { provide: IDLE_PROBE_CANDIDATES, useFactory: (): IdleProbe[] => platformIdleProbes(process.platform, execCommandRunner(), process.getuid?.()) },
    { provide: ServiceProcessTable, useFactory: () => new ServiceProcessTable() },
    {
      provide: ResourceSampler,
      inject: [SYSTEM_PROBE, ServiceProcessTable, SERVICE_CONFIG, CLOCK, SERVICE_LOGGER],
      useFactory: (probe: SystemProbe, processes: ServiceProcessTable, config: MonitorConfig, clock: Clock, logger: Logger) =>
        new ResourceSampler(probe, processes, config.monitor, clock, logger.child({ context: 'ResourceSampler' })),
    },
    { provide: ResourcePolicy, inject: [SERVICE_CONFIG], useFactory: (config: MonitorConfig) => new ResourcePolicy(config.monitor.policy) },
    {
      provide: ActivityTracker,
      inject: [SERVICE_CONFIG, IDLE_PROBE_CANDIDATES, SERVICE_LOGGER],
      useFactory: (config: MonitorConfig, probes: IdleProbe[], logger: Logger) =>
        new ActivityTracker(config.monitor.activity, probes, logger.child({ context: 'ActivityTracker' })),
    },
    BusJobAnnouncer,
    {
      provide: JobAdmission,
      inject: [SERVICE_CONFIG, CLOCK, BusJobAnnouncer],
      useFactory: (config: MonitorConfig, clock: Clock, announcer: BusJobAnnouncer) => new JobAdmission(config.monitor.jobs, clock, announcer),
    },
    MonitorService,
  ],
})
export class MonitorAppModule {}
