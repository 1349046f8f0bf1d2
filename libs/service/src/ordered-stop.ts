// A graceful stop, in the order that loses nothing: say so (`system.service.stopping`, heartbeats STOPPING), take
// no new work, let running handlers finish (half the budget), drain the send queue (a quarter), close the app,
// forget the keys, then the pid file and the logs. A stop that overruns its budget exits anyway.
import type { INestApplicationContext } from '@nestjs/common';
import type { BusClient } from '@aico/bus';
import { SystemTopics } from '@aico/contracts';
import type { KeyRing } from '@aico/keys';
import type { Logger, ProcessLogger } from '@aico/logging';
import type { ServiceHeartbeat } from './service-heartbeat';
import type { ServicePidFile } from './service-pid-file';
import type { ServiceInfo } from './service.tokens';

export interface StoppableService {
  readonly info: ServiceInfo;
  readonly bus: BusClient;
  readonly app: INestApplicationContext;
  readonly keys: KeyRing;
  readonly heartbeat: ServiceHeartbeat;
  readonly processLogger: ProcessLogger;
  readonly pidFile: ServicePidFile | undefined;
  /** The whole budget of a graceful stop. */
  readonly timeoutMs: number;
  /** Called when the budget runs out before the stop is done (a process of its own exits). */
  readonly overran: () => void;
  /** Called last (the signal handlers are removed). */
  readonly stopped: () => void;
}

export class OrderedStop {
  private stopping: Promise<void> | undefined;

  constructor(private readonly service: StoppableService) {}

  /** Stops once; every later call gets the same promise. */
  stop(reason: string): Promise<void> {
    this.stopping ??= this.run(reason);
    return this.stopping;
  }

  private async run(reason: string): Promise<void> {
    const { info, bus, app, keys, heartbeat, processLogger, pidFile, timeoutMs } = this.service;
    const logger: Logger = processLogger.logger;
    const force = setTimeout(() => {
      logger.error({ reason, timeoutMs }, 'Graceful stop took too long; exiting anyway');
      this.service.overran();
    }, timeoutMs);
    force.unref();
    logger.info({ reason }, `${info.identity} stopping`);
    heartbeat.stop();
    // Not awaited: with the bus down it would wait for the bus to return. close() below drains it, bounded.
    bus.publish(SystemTopics.serviceStopping, { service: info.identity, instanceId: info.instanceId, reason }).catch(() => undefined);
    bus.stopIntake();
    processLogger.tap.detach();
    const idle = await bus.waitForHandlers(timeoutMs / 2);
    if (!idle) logger.warn('Some handlers were still running when the stop budget ran out');
    await bus.close({ drainTimeoutMs: timeoutMs / 4 });
    await app.close();
    keys.destroy();
    logger.info({ reason }, `${info.identity} stopped`);
    clearTimeout(force);
    await pidFile?.remove();
    await processLogger.close();
    this.service.stopped();
  }
}
