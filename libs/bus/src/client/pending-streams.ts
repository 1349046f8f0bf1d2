// The streamed requests this client is waiting on. Each hands its deltas to onDelta in sequence order (a duplicate
// is dropped, a gap fails the request: pub/sub keeps one publisher's order, so a skipped number means lost
// messages), and ends with its final reply, its deadline, its idle timeout (STREAM_STALLED: the responder stopped
// answering, e.g. it was killed), an abort (CANCELLED), a failing onDelta, or the client closing. Whatever ends it
// early tells the responder to stop working on it.
import type { Message } from '@bufbuild/protobuf';
import { anyIs } from '@bufbuild/protobuf/wkt';
import type { Envelope, StreamRequestDefinition } from '@aico/contracts';
import { BusError, BusErrorCode } from '../bus.error';
import type { DropReason } from './drop-counter';
import { IncomingMessage } from './envelope-codec';
import { replyOutcome } from './pending-requests';
import { keepAliveIntervalMs, parseCount, StreamAttribute, type StreamControl } from './stream-protocol';

export type DropFn = (reason: DropReason, fields: Record<string, unknown>, why: string) => void;

export interface TrackedStream {
  readonly correlationId: string;
  readonly definition: StreamRequestDefinition;
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number;
  /** Abort: reject at once with CANCELLED and tell the responder to stop. */
  readonly signal?: AbortSignal | undefined;
  /** Stop: tell the responder to stop, and still wait for its final reply (with what it has so far). */
  readonly stopSignal?: AbortSignal | undefined;
  readonly onDelta?: ((delta: Message, sequence: number) => unknown) | undefined;
  /** Publishes a control envelope of this stream on its request topic (best effort, never throws). */
  readonly control: (kind: StreamControl) => void;
}

class PendingStream {
  /** The sequence number the next delta must carry. */
  private next = 1;
  /** The responder instance this stream is bound to: the first that answered. */
  private responder: { readonly source: string; readonly instanceId: string } | undefined;
  private readonly deadline: NodeJS.Timeout;
  private readonly idle: NodeJS.Timeout;
  private readonly beat: NodeJS.Timeout;
  private stopRequested = false;
  private ended = false;

  constructor(
    private readonly spec: TrackedStream,
    private readonly drop: DropFn,
    private readonly settle: (outcome: { value: Message } | { error: unknown }) => void,
  ) {
    const { definition, correlationId, timeoutMs, idleTimeoutMs } = spec;
    this.deadline = setTimeout(
      () =>
        this.fail(
          new BusError(
            BusErrorCode.DeadlineExceeded,
            `No final reply to ${definition.topic} within ${timeoutMs} ms (correlation id ${correlationId}).`,
            this.details(),
          ),
          true,
        ),
      timeoutMs,
    );
    this.idle = setTimeout(() => this.fail(this.stalled(), true), idleTimeoutMs);
    // The responder stops a stream whose requester falls silent (it was killed): tell it this one still listens.
    this.beat = setInterval(() => spec.control('keepalive'), keepAliveIntervalMs(idleTimeoutMs));
    spec.signal?.addEventListener('abort', this.onAbort, { once: true });
    spec.stopSignal?.addEventListener('abort', this.onStop, { once: true });
  }

  /** Handles a message of this stream that arrived on the reply topic. */
  receive(envelope: Envelope): void {
    if (this.ended) return;
    if (!this.responder) this.responder = { source: envelope.source, instanceId: envelope.instanceId };
    else if (envelope.instanceId !== this.responder.instanceId) {
      this.drop(
        'stream_foreign',
        { topic: this.spec.definition.topic, correlationId: this.spec.correlationId, source: envelope.source, instanceId: envelope.instanceId },
        'a second responder answered a stream another instance already answers',
      );
      return;
    }
    this.idle.refresh();
    const attributes = envelope.attributes;
    if (envelope.error) return this.finish(envelope);
    const sequenceText = attributes[StreamAttribute.sequence];
    if (sequenceText !== undefined) return this.delta(envelope, sequenceText);
    if (attributes[StreamAttribute.control] === 'keepalive') {
      const sent = parseCount(attributes[StreamAttribute.lastSequence]);
      if (sent !== undefined && sent >= this.next) this.fail(this.gap(`the responder has sent ${sent} deltas, ${this.next - 1} arrived`), true);
      return;
    }
    this.finish(envelope);
  }

  fail(error: unknown, cancelResponder: boolean): void {
    if (this.end(cancelResponder)) this.settle({ error });
  }

  /**
   * Whether the process of identity `source` that ended took this stream with it: the one answering it, or, before
   * any answer came, the only identity that may answer its topic (a request sent while none ran reached nobody).
   */
  dependsOn(source: string): boolean {
    if (this.responder) return this.responder.source === source;
    const responders = this.spec.definition.responders;
    return responders !== 'any' && responders.length === 1 && responders[0] === source;
  }

  /** Fails this stream with RESPONDER_GONE (nothing is sent: its responder is gone). */
  responderGone(source: string, why: string): void {
    const { definition, correlationId } = this.spec;
    const message = `"${source}" ended before it finished ${definition.topic} (${why}; correlation id ${correlationId}). The request was abandoned; try again once it is back.`;
    this.fail(new BusError(BusErrorCode.ResponderGone, message, { ...this.details(), source }), false);
  }

  /** Called once the request is queued: a stop asked before then goes out after it, so the responder can act on it. */
  requestSent(): void {
    if (this.spec.stopSignal?.aborted) this.onStop();
  }

  private delta(envelope: Envelope, sequenceText: string): void {
    const { definition, correlationId } = this.spec;
    const sequence = parseCount(sequenceText);
    if (sequence === undefined || sequence < 1) {
      this.fail(
        new BusError(
          BusErrorCode.StreamGap,
          `A delta of ${definition.topic} from "${envelope.source}" carries no valid sequence number ("${sequenceText}").`,
          this.details(),
        ),
        true,
      );
      return;
    }
    if (sequence < this.next) {
      this.drop('stream_duplicate', { topic: definition.topic, correlationId, source: envelope.source, sequence }, 'a delta that was already delivered');
      return;
    }
    if (sequence > this.next) {
      this.fail(this.gap(`expected delta ${this.next}, got ${sequence}`), true);
      return;
    }
    const schema = definition.stream;
    if (envelope.payload && !anyIs(envelope.payload, schema)) {
      this.fail(
        new BusError(
          BusErrorCode.WrongPayloadType,
          `A delta of ${definition.topic} from "${envelope.source}" carries ${envelope.payload.typeUrl}, not ${schema.typeName}.`,
          this.details(),
        ),
        true,
      );
      return;
    }
    this.next++;
    try {
      const result = this.spec.onDelta?.(new IncomingMessage(envelope, schema).payload, sequence);
      if (result instanceof Promise) result.catch((error: unknown) => this.fail(error, true));
    } catch (error) {
      // A delta that does not decode, or a consumer that throws: the stream is of no more use to this requester.
      this.fail(error, true);
    }
  }

  private finish(envelope: Envelope): void {
    if (!envelope.error) {
      const count = parseCount(envelope.attributes[StreamAttribute.count]);
      if (count !== undefined && count >= this.next) {
        this.fail(this.gap(`the final reply counts ${count} deltas, ${this.next - 1} arrived`), false);
        return;
      }
    }
    let outcome: { value: Message } | { error: unknown };
    try {
      outcome = replyOutcome(envelope, this.spec.definition);
    } catch (error) {
      outcome = { error };
    }
    if (this.end(false)) this.settle(outcome);
  }

  private readonly onAbort = (): void => {
    this.fail(new BusError(BusErrorCode.Cancelled, `The request on ${this.spec.definition.topic} was cancelled.`, this.details()), true);
  };

  private readonly onStop = (): void => {
    if (this.ended || this.stopRequested) return;
    this.stopRequested = true;
    this.spec.control('cancel');
  };

  /** Stops the timers and listeners; returns false if the stream had already ended. */
  private end(cancelResponder: boolean): boolean {
    if (this.ended) return false;
    this.ended = true;
    clearTimeout(this.deadline);
    clearTimeout(this.idle);
    clearInterval(this.beat);
    this.spec.signal?.removeEventListener('abort', this.onAbort);
    this.spec.stopSignal?.removeEventListener('abort', this.onStop);
    if (cancelResponder) this.spec.control('cancel');
    return true;
  }

  private stalled(): BusError {
    const { definition, correlationId, idleTimeoutMs } = this.spec;
    const message = this.responder
      ? `"${this.responder.source}" stopped answering ${definition.topic}: no message for ${idleTimeoutMs} ms (correlation id ${correlationId}). It may have crashed or lost the bus; the request was abandoned.`
      : `Nobody answered ${definition.topic} within ${idleTimeoutMs} ms (correlation id ${correlationId}). Is a service that answers it running?`;
    return new BusError(BusErrorCode.StreamStalled, message, {
      ...this.details(),
      idleTimeoutMs: String(idleTimeoutMs),
      ...(this.responder ? { source: this.responder.source } : {}),
    });
  }

  private gap(what: string): BusError {
    const { definition, correlationId } = this.spec;
    return new BusError(
      BusErrorCode.StreamGap,
      `The stream of ${definition.topic} from "${this.responder?.source ?? 'its responder'}" lost messages on the way: ${what} (correlation id ${correlationId}). The bus dropped them (a full queue?); try again.`,
      this.details(),
    );
  }

  private details(): Record<string, string> {
    return { topic: this.spec.definition.topic, correlationId: this.spec.correlationId };
  }
}

export class PendingStreams {
  private readonly streams = new Map<string, PendingStream>();

  constructor(private readonly drop: DropFn) {}

  has(correlationId: string): boolean {
    return this.streams.has(correlationId);
  }

  get size(): number {
    return this.streams.size;
  }

  track(spec: TrackedStream): Promise<Message> {
    return new Promise<Message>((resolve, reject) => {
      const stream = new PendingStream(spec, this.drop, (outcome) => {
        this.streams.delete(spec.correlationId);
        if ('error' in outcome) reject(outcome.error);
        else resolve(outcome.value);
      });
      this.streams.set(spec.correlationId, stream);
    });
  }

  /** Handles a message on the reply topic; false when it belongs to no stream this client waits on. */
  receive(envelope: Envelope): boolean {
    const stream = this.streams.get(envelope.correlationId);
    if (!stream) return false;
    stream.receive(envelope);
    return true;
  }

  requestSent(correlationId: string): void {
    this.streams.get(correlationId)?.requestSent();
  }

  /** Fails one stream without telling its responder (its request never went out). */
  fail(correlationId: string, error: unknown): void {
    this.streams.get(correlationId)?.fail(error, false);
  }

  /** Fails each stream that depended on a process of identity `source` that ended; returns how many. */
  responderGone(source: string, why: string): number {
    const gone = [...this.streams.values()].filter((stream) => stream.dependsOn(source));
    for (const stream of gone) stream.responderGone(source, why);
    return gone.length;
  }

  /** Fails every stream; with `cancelResponders`, tells each responder to stop first. */
  failAll(error: unknown, cancelResponders: boolean): void {
    for (const stream of [...this.streams.values()]) stream.fail(error, cancelResponders);
  }
}
