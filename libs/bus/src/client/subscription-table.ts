// Which handlers want which topics, and the zeromq subscriptions behind them: one socket subscription per prefix,
// counted, so two handlers of a topic share it and the last one to leave ends it.
import type { IncomingMessage } from './envelope-codec';

export type SubscriptionHandler = (message: IncomingMessage) => unknown;

export interface Subscription {
  readonly prefix: string;
  /** True: the topic must equal `prefix`; false: it must start with it. */
  readonly exact: boolean;
  readonly handler: SubscriptionHandler;
}

/** The part of a zeromq Subscriber the table drives. */
export interface SubscriberSocket {
  subscribe(prefix: string): void;
  unsubscribe(prefix: string): void;
}

export class SubscriptionTable {
  private readonly subscriptions: Subscription[] = [];
  private readonly counts = new Map<string, number>();
  private intakeOpen = true;

  /**
   * @param replyTopic stays subscribed after intake stops: replies to this client's own requests still arrive.
   * @param socketClosed true once the socket is closing (unsubscribing it then would throw).
   */
  constructor(
    private readonly socket: SubscriberSocket,
    private readonly replyTopic: string,
    private readonly socketClosed: () => boolean,
  ) {}

  /** Adds a handler; returns the function that removes it. */
  add(subscription: Subscription): () => void {
    this.subscriptions.push(subscription);
    this.retain(subscription.prefix);
    return () => {
      const index = this.subscriptions.indexOf(subscription);
      if (index >= 0) {
        this.subscriptions.splice(index, 1);
        this.release(subscription.prefix);
      }
    };
  }

  /** The handlers of a delivered topic, in the order they subscribed. */
  *matching(topic: string): Iterable<Subscription> {
    for (const subscription of this.subscriptions) {
      if (subscription.exact ? topic === subscription.prefix : topic.startsWith(subscription.prefix)) yield subscription;
    }
  }

  /** Counts one more user of a socket subscription (a handler, a responder, the reply topic). */
  retain(prefix: string): void {
    const count = this.counts.get(prefix) ?? 0;
    this.counts.set(prefix, count + 1);
    if (count === 0 && (this.intakeOpen || prefix === this.replyTopic)) this.socket.subscribe(prefix);
  }

  release(prefix: string): void {
    const count = this.counts.get(prefix) ?? 0;
    if (count <= 1) {
      this.counts.delete(prefix);
      if (!this.socketClosed()) this.socket.unsubscribe(prefix);
    } else {
      this.counts.set(prefix, count - 1);
    }
  }

  /** Unsubscribes everything but the reply topic; nothing subscribed later reaches the socket either. */
  closeIntake(): void {
    this.intakeOpen = false;
    for (const prefix of [...this.counts.keys()]) {
      if (prefix !== this.replyTopic) this.socket.unsubscribe(prefix);
    }
  }
}
