// Server pushes for the screens: a screen asks for the topics it shows (by prefix) and gets their events while it is
// mounted. Subscriptions are counted, so the gateway is asked once per prefix however many screens listen, and
// released when the last one leaves. The WebSocket connection re-subscribes after a reconnect by itself.
export interface LiveEvent {
  readonly topic: string;
  readonly payload: unknown;
  readonly correlationId?: string;
  readonly source?: string;
}

export interface TopicSubscriber {
  subscribe(prefix: string): void;
  unsubscribe(prefix: string): void;
}

type Handler = (event: LiveEvent) => void;

export class LiveEvents {
  private readonly handlers = new Map<string, Set<Handler>>();

  constructor(private readonly connection: TopicSubscriber) {}

  /** Calls `handler` with every event whose topic starts with `prefix`; returns the way to stop. */
  on(prefix: string, handler: Handler): () => void {
    let handlers = this.handlers.get(prefix);
    if (!handlers) {
      handlers = new Set();
      this.handlers.set(prefix, handlers);
      this.connection.subscribe(prefix);
    }
    handlers.add(handler);
    return () => {
      const current = this.handlers.get(prefix);
      if (!current?.delete(handler) || current.size > 0) return;
      this.handlers.delete(prefix);
      this.connection.unsubscribe(prefix);
    };
  }

  dispatch(event: LiveEvent): void {
    for (const [prefix, handlers] of this.handlers) {
      if (!event.topic.startsWith(prefix)) continue;
      for (const handler of [...handlers]) handler(event);
    }
  }
}
