// Socket monitor events through the observer's async iterator. zeromq's `events.on()` emitter mode is avoided on
// purpose: it installs a getter on the shared native prototype once per process that captures the first module
// registry's `require`, which breaks when a module registry is replaced (Jest runs each test file in a new one).
import type { Event, EventOfType, EventType, Socket } from 'zeromq';

export type SocketEventHandlers = { [E in EventType]?: (event: EventOfType<E>) => void };

/** Dispatches a socket's monitor events to handlers until the socket closes. */
export function watchSocketEvents(socket: Socket, handlers: SocketEventHandlers): Promise<void> {
  return (async () => {
    try {
      for await (const event of socket.events) {
        const handler = handlers[event.type] as ((event: Event) => void) | undefined;
        handler?.(event);
      }
    } catch {
      // The observer ends with an error on some platforms when its socket closes; there is nothing left to watch.
    }
  })();
}
