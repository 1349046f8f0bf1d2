// Handler accounting: what runs is counted until it settles, a stop waits for none to be left (or its budget),
// and a failing handler is logged, never thrown into the receive loop.
import { captureLogger } from '@aico/logging';
import type { IncomingMessage } from './envelope-codec';
import { HandlerAccounting } from './handler-accounting';

const message = { correlationId: 'c-1', topic: 'a.b.c', envelope: { id: 'e-1' } } as unknown as IncomingMessage;

describe('HandlerAccounting', () => {
  it('counts a running handler until it settles, and wakes whoever waits for idle', async () => {
    const handlers = new HandlerAccounting(captureLogger('test').logger);
    let finish!: () => void;
    handlers.run(message, () => new Promise<void>((resolve) => (finish = resolve)));
    expect(handlers.inFlight).toBe(1);
    const idle = handlers.waitForIdle(600_000);
    finish();
    await expect(idle).resolves.toBe(true);
    expect(handlers.inFlight).toBe(0);
  });

  it('gives up waiting after the budget, saying it was not idle', async () => {
    const handlers = new HandlerAccounting(captureLogger('test').logger);
    handlers.run(message, () => new Promise<void>(() => undefined));
    await expect(handlers.waitForIdle(0)).resolves.toBe(false);
  });

  it('logs what a handler throws or rejects with, and counts it as done', async () => {
    const { logger, lines } = captureLogger('test');
    const handlers = new HandlerAccounting(logger);
    handlers.run(message, () => {
      throw new Error('sync failure');
    });
    handlers.run(message, () => Promise.reject(new Error('async failure')));
    await handlers.waitForIdle(600_000);
    expect(lines.filter((line) => line.msg === 'Bus handler failed')).toHaveLength(2);
    expect(handlers.inFlight).toBe(0);
  });
});
