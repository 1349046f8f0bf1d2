// What stops a service: a shutdown request addressed to it (remembered when it comes before the service can stop,
// acted on once it can), never one addressed to another service; SIGTERM while armed, not after disarm.
import type { BusClient, IncomingMessage } from '@aico/bus';
import { captureLogger } from '@aico/logging';
import { StopTriggers, type StopTriggerOptions } from './stop-triggers';

const info = { identity: 'monitor', instanceId: 'i-1', version: '0.1.0', startedAt: new Date(0) };

function fakeBus(): { bus: BusClient; request: (service: string, reason: string) => void } {
  let handler: ((message: IncomingMessage) => unknown) | undefined;
  const bus = { subscribe: (_definition: unknown, h: (message: IncomingMessage) => unknown) => ((handler = h), () => undefined) } as unknown as BusClient;
  const request = (service: string, reason: string) => void handler!({ source: 'supervisor', payload: { service, reason } } as unknown as IncomingMessage);
  return { bus, request };
}

function options(stop: StopTriggerOptions['stop']): StopTriggerOptions {
  return { stop, exitOnStop: false, supervised: false, onCrash: () => Promise.resolve(), exit: () => undefined };
}

describe('StopTriggers', () => {
  it('acts on a shutdown request heard before it was armed, once armed', () => {
    const { bus, request } = fakeBus();
    const triggers = new StopTriggers(bus, info, captureLogger('monitor').logger);
    request('', 'update');
    const stop = jest.fn(() => Promise.resolve());
    triggers.arm(options(stop));
    triggers.disarm();
    expect(stop).toHaveBeenCalledWith('shutdown requested by supervisor: update');
  });

  it('ignores a shutdown request for another service', () => {
    const { bus, request } = fakeBus();
    const triggers = new StopTriggers(bus, info, captureLogger('monitor').logger);
    const stop = jest.fn(() => Promise.resolve());
    triggers.arm(options(stop));
    request('storage', 'not you');
    triggers.disarm();
    expect(stop).not.toHaveBeenCalled();
  });

  it('stops on SIGTERM while armed and no longer after disarm', () => {
    const { bus } = fakeBus();
    const triggers = new StopTriggers(bus, info, captureLogger('monitor').logger);
    const stop = jest.fn(() => Promise.resolve());
    const listeners = process.listenerCount('SIGTERM');
    triggers.arm(options(stop));
    expect(process.listenerCount('SIGTERM')).toBe(listeners + 1);
    process.emit('SIGTERM', 'SIGTERM');
    triggers.disarm();
    expect(stop).toHaveBeenCalledWith('SIGTERM');
    expect(process.listenerCount('SIGTERM')).toBe(listeners);
  });
});
