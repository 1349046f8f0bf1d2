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
  private readonly unasked = new Set<{ readonly prefix: string; readonly handler: Handler }>();

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

  /**
   * Calls `handler` with frames the gateway sends this user unasked (a model pull's progress goes to whoever started
   * it): nothing is subscribed, so the gateway is not asked for a topic it does not offer for subscription.
   */
  listen(prefix: string, handler: Handler): () => void {
    const entry = { prefix, handler };
    this.unasked.add(entry);
    return () => void this.unasked.delete(entry);
  }

  dispatch(event: LiveEvent): void {
    for (const [prefix, handlers] of this.handlers) {
      if (!event.topic.startsWith(prefix)) continue;
      for (const handler of [...handlers]) handler(event);
    }
    for (const entry of [...this.unasked]) if (event.topic.startsWith(entry.prefix)) entry.handler(event);
  }
}
