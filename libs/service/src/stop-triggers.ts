// What makes a service stop: a `system.service.shutdown` request addressed to it (heard from before the client
// connects, so a supervisor that answers `system.service.ready` with a shutdown is not missed), SIGTERM or SIGINT,
// the supervisor going away (its stdin pipe closes), and, in a process of its own, a crash.
import type { BusClient } from '@aico/bus';
import { SystemTopics } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import type { ServiceInfo } from './service.tokens';

export interface StopTriggerOptions {
  /** Stops gracefully; resolves when everything is closed. */
  readonly stop: (reason: string) => Promise<void>;
  /** Exit the process after a stop (and on a crash). */
  readonly exitOnStop: boolean;
  /** Watch the supervisor's stdin pipe. */
  readonly supervised: boolean;
  /** Last words on a crash (remove the pid file, flush the logs) before the process exits. */
  readonly onCrash: () => Promise<void>;
  /** The process's exit on a clean stop, and on a crash. */
  readonly exit: (code: 'ok' | 'failure') => void;
}

export class StopTriggers {
  private earlyStopReason: string | undefined;
  private armed: StopTriggerOptions | undefined;
  private readonly onSigterm = (): void => this.requestStop('SIGTERM');
  private readonly onSigint = (): void => this.requestStop('SIGINT');

  /** Listens for shutdown requests at once; until `arm`, a request is remembered. */
  constructor(
    bus: BusClient,
    info: ServiceInfo,
    private readonly logger: Logger,
  ) {
    bus.subscribe(SystemTopics.serviceShutdown, (request) => {
      const target = request.payload.service;
      if (target !== '' && target !== info.identity) return;
      this.requestStop(`shutdown requested by ${request.source}${request.payload.reason ? `: ${request.payload.reason}` : ''}`);
    });
  }

  /** From now on every trigger stops the service; a shutdown request heard before this one takes effect now. */
  arm(options: StopTriggerOptions): void {
    this.armed = options;
    process.on('SIGTERM', this.onSigterm);
    process.on('SIGINT', this.onSigint);
    if (options.exitOnStop) {
      process.on('uncaughtException', (error) => this.crash(error, 'Uncaught exception'));
      process.on('unhandledRejection', (error) => this.crash(error, 'Unhandled promise rejection'));
    }
    if (this.earlyStopReason) this.requestStop(this.earlyStopReason);
    if (options.supervised && options.exitOnStop) this.watchSupervisor();
  }

  /** The stop is done: signals no longer reach this service (a test process goes on without it). */
  disarm(): void {
    process.off('SIGTERM', this.onSigterm);
    process.off('SIGINT', this.onSigint);
  }

  private requestStop(reason: string): void {
    const armed = this.armed;
    if (!armed) {
      this.earlyStopReason ??= reason;
      return;
    }
    void armed.stop(reason).then(() => armed.exitOnStop && armed.exit('ok'));
  }

  private crash(error: unknown, what: string): void {
    this.logger.fatal({ err: error }, `${what}; exiting so the supervisor restarts this service`);
    void this.armed!.onCrash().finally(() => this.armed!.exit('failure'));
  }

  /**
   * The supervisor gives each app a pipe as stdin and never writes to it: when the supervisor ends, however it ends
   * (SIGKILL included), the operating system closes the pipe and stdin ends here (Linux, macOS and Windows alike).
   */
  private watchSupervisor(): void {
    let gone = false;
    const once = (): void => {
      if (gone) return;
      gone = true;
      this.logger.warn('The supervisor is gone; stopping');
      this.requestStop('the supervisor is gone (its pipe to this app closed)');
    };
    process.stdin.on('error', once);
    process.stdin.once('end', once);
    process.stdin.once('close', once);
    process.stdin.resume();
  }
}
