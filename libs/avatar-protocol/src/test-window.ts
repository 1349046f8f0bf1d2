// A stand-in for a window's message plumbing in unit tests: records posts, dispatches `message` events.
import { type MessageListenerTarget, type MessageTarget } from './avatar-host';

export interface Posted {
  readonly message: unknown;
  readonly targetOrigin: string;
}

export class TestWindow implements MessageListenerTarget, MessageTarget {
  readonly posted: Posted[] = [];
  private readonly listeners = new Set<(event: Event) => void>();

  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null): void {
    if (type === 'message' && typeof listener === 'function') this.listeners.add(listener);
  }

  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null): void {
    if (type === 'message' && typeof listener === 'function') this.listeners.delete(listener);
  }

  postMessage(message: unknown, targetOrigin: string): void {
    this.posted.push({ message, targetOrigin });
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Deliver a message as the browser would: `origin` and `source` are the sender's. */
  dispatch(data: unknown, origin: string, source: unknown = null): void {
    const event = { type: 'message', data, origin, source } as unknown as Event;
    for (const listener of [...this.listeners]) listener(event);
  }
}
