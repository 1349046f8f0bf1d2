// A zeromq socket allows one pending send() at a time (EBUSY otherwise), so every send goes through this queue.
// It is bounded, can be held while the bus is unreachable (the priority lane still runs for readiness probes), and
// can be drained on shutdown.
import { BusError, BusErrorCode } from '../bus.error';

export type Frames = readonly (Buffer | Uint8Array)[];

interface QueuedSend {
  readonly frames: Frames;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class SendQueue {
  private readonly normal: QueuedSend[] = [];
  private readonly priority: QueuedSend[] = [];
  private pumping = false;
  private held = false;
  private drainWaiters: (() => void)[] = [];
  private closedError: BusError | undefined;

  constructor(
    private readonly send: (frames: Frames) => Promise<void>,
    private readonly maxLength: number,
  ) {}

  get length(): number {
    return this.normal.length + this.priority.length;
  }

  enqueue(frames: Frames, priority = false): Promise<void> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (!priority && this.normal.length >= this.maxLength) {
      return Promise.reject(
        new BusError(
          BusErrorCode.QueueFull,
          `The bus send queue is full (${this.maxLength} envelopes waiting); the bus is unreachable or the publisher outruns it.`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      (priority ? this.priority : this.normal).push({ frames, resolve, reject });
      if (!this.pumping) void this.pump();
    });
  }

  /** Stop sending normal envelopes (they keep queueing); priority ones still go out. */
  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    if (!this.pumping) void this.pump();
  }

  /** Resolves once every queued envelope has been handed to zeromq. */
  drain(): Promise<void> {
    if (this.length === 0 && !this.pumping) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Rejects what is still queued and refuses new sends. */
  close(reason: BusError): void {
    this.closedError = reason;
    for (const item of [...this.priority.splice(0), ...this.normal.splice(0)]) item.reject(reason);
    this.notifyDrained();
  }

  private next(): QueuedSend | undefined {
    if (this.priority.length > 0) return this.priority.shift();
    return this.held ? undefined : this.normal.shift();
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      for (let item = this.next(); item; item = this.next()) {
        try {
          await this.send(item.frames);
          item.resolve();
        } catch (error) {
          item.reject(error);
        }
      }
    } finally {
      this.pumping = false;
    }
    if (this.length === 0) this.notifyDrained();
  }

  private notifyDrained(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
