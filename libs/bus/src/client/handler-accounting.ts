// Every handler a client runs, counted while it runs, so a stopping service can wait until none is left. Each runs
// in its message's correlation scope (log lines and requests it makes carry the id), and what it throws is logged.
import { runWithCorrelation, type Logger } from '@aico/logging';
import type { IncomingMessage } from './envelope-codec';

export class HandlerAccounting {
  private running = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly logger: Logger) {}

  get inFlight(): number {
    return this.running;
  }

  run(message: IncomingMessage, fn: () => unknown): void {
    this.running++;
    const settle = (): void => {
      if (--this.running === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    };
    try {
      const result = runWithCorrelation(message.correlationId || message.envelope.id, fn);
      if (result instanceof Promise) {
        result.then(settle, (error: unknown) => {
          settle();
          this.logger.error({ err: error, topic: message.topic }, 'Bus handler failed');
        });
        return;
      }
    } catch (error) {
      this.logger.error({ err: error, topic: message.topic }, 'Bus handler failed');
    }
    settle();
  }

  /** Resolves when no handler is running, or after `timeoutMs`. Returns whether it was idle. */
  waitForIdle(timeoutMs: number): Promise<boolean> {
    if (this.running === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
