// The streams this client is answering. Each numbers its deltas 1, 2, 3…, beats (a keep-alive on the reply topic)
// whenever it has sent nothing for a while, so the requester tells "working" from "dead", and ends with one final
// reply that counts its deltas. Its signal aborts when the requester cancels or falls silent (it was killed), at
// the request's deadline, or when this client stops; deltas after that, or after the final, are dropped and counted.
import type { DescMessage, Message, MessageInitShape } from '@bufbuild/protobuf';
import type { ErrorInfo, StreamRequestDefinition } from '@aico/contracts';
import { BusError, BusErrorCode } from '../bus.error';
import type { ResponseStream } from './bus-client.types';
import type { IncomingMessage, OutgoingEnvelope } from './envelope-codec';
import type { DropFn } from './pending-streams';
import { DEFAULT_STREAM_IDLE_TIMEOUT_MS, keepAliveIntervalMs, MAX_TIMER_MS, parseIdleTimeout, StreamAttribute } from './stream-protocol';

export interface ResponseStreamIo {
  /** Queues an envelope (BusClient.send): rejects when it cannot go out, throws for one that is too large. */
  readonly send: (out: OutgoingEnvelope) => Promise<void>;
  /** The delta as a message of the stream's type; throws WRONG_PAYLOAD_TYPE. */
  readonly toDelta: (definition: StreamRequestDefinition, delta: Message | MessageInitShape<DescMessage>) => Message;
  readonly drop: DropFn;
}

class ActiveResponseStream implements ResponseStream {
  readonly requesterSource: string;
  private readonly controller = new AbortController();
  private sequence = 0;
  private sentSinceBeat = false;
  private ended = false;
  private readonly beat: NodeJS.Timeout;
  private readonly watchdog: NodeJS.Timeout | undefined;
  private readonly deadline: NodeJS.Timeout | undefined;

  constructor(
    private readonly request: IncomingMessage,
    private readonly definition: StreamRequestDefinition,
    private readonly io: ResponseStreamIo,
    keepAliveMs: number | undefined,
    private readonly onEnd: () => void,
  ) {
    this.requesterSource = request.source;
    const requesterIdleMs = parseIdleTimeout(request.envelope.attributes[StreamAttribute.idleTimeoutMs]);
    this.beat = setInterval(
      () => {
        if (!this.sentSinceBeat) this.keepAlive().catch(() => undefined);
        this.sentSinceBeat = false;
      },
      keepAliveIntervalMs(requesterIdleMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS, keepAliveMs),
    );
    // A requester that says how long it waits also beats that often; silence from it means it is gone.
    this.watchdog =
      requesterIdleMs === undefined
        ? undefined
        : setTimeout(
            () =>
              this.abandon(
                new BusError(
                  BusErrorCode.RequesterGone,
                  `"${request.source}" stopped listening to ${definition.topic}: no keep-alive for ${requesterIdleMs} ms (correlation id ${request.correlationId}).`,
                  this.details(),
                ),
              ),
            requesterIdleMs,
          );
    const deadlineMs = request.deadlineMs;
    this.deadline =
      deadlineMs === undefined
        ? undefined
        : setTimeout(
            () =>
              this.abandon(
                new BusError(
                  BusErrorCode.DeadlineExceeded,
                  `The deadline of ${definition.topic} passed (correlation id ${request.correlationId}).`,
                  this.details(),
                ),
              ),
            Math.min(Math.max(deadlineMs - Date.now(), 0), MAX_TIMER_MS),
          );
    // The first beat at once: the requester learns who answers (and that someone does) before any delta.
    this.keepAlive().catch(() => undefined);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get sent(): number {
    return this.sequence;
  }

  send(delta: Message | MessageInitShape<DescMessage>): Promise<boolean> {
    if (this.ended || this.controller.signal.aborted) {
      this.io.drop(
        'stream_after_end',
        {
          topic: this.definition.topic,
          correlationId: this.request.correlationId,
          reason: this.ended ? 'ended' : (this.controller.signal.reason as BusError).code,
        },
        'a delta sent after its stream ended or was stopped',
      );
      return Promise.resolve(false);
    }
    const sequence = this.sequence + 1;
    let sent: Promise<void>;
    try {
      const message = this.io.toDelta(this.definition, delta);
      sent = this.io.send({
        topic: this.request.replyTo,
        correlationId: this.request.correlationId,
        contractVersion: this.definition.contractVersion,
        schema: this.definition.stream,
        payload: message,
        attributes: { [StreamAttribute.sequence]: String(sequence) },
      });
    } catch (error) {
      // Refused before it was numbered (too large, wrong type): the stream goes on without a gap.
      if (error instanceof BusError && error.code === BusErrorCode.PayloadTooLarge) {
        return settled(
          Promise.reject(
            new BusError(
              BusErrorCode.PayloadTooLarge,
              `Delta ${sequence} of ${this.definition.topic} was not sent: ${error.message} Send it in smaller deltas.`,
              this.details(),
            ),
          ),
        );
      }
      return settled(Promise.reject(error));
    }
    this.sequence = sequence;
    this.sentSinceBeat = true;
    return settled(sent.then(() => true));
  }

  keepAlive(): Promise<boolean> {
    if (this.ended) return Promise.resolve(false);
    this.sentSinceBeat = true;
    return settled(
      this.io
        .send({
          topic: this.request.replyTo,
          correlationId: this.request.correlationId,
          contractVersion: this.definition.contractVersion,
          attributes: { [StreamAttribute.control]: 'keepalive', [StreamAttribute.lastSequence]: String(this.sequence) },
        })
        .then(() => true),
    );
  }

  /** The requester is still listening. */
  heardFromRequester(): void {
    this.watchdog?.refresh();
  }

  abort(reason: BusError): void {
    clearTimeout(this.watchdog);
    clearTimeout(this.deadline);
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /**
   * Nobody listens any more (the deadline passed, the requester is gone): stop beating too. After a cancel the
   * beats go on, since a requester that asked its responder to stop still waits for the final reply.
   */
  private abandon(reason: BusError): void {
    clearInterval(this.beat);
    this.abort(reason);
  }

  /** Sends the final reply (payload or error), which says how many deltas went before it. */
  finish(out: OutgoingEnvelope): Promise<void> {
    if (this.ended) {
      this.io.drop('stream_after_end', { topic: this.definition.topic, correlationId: this.request.correlationId }, 'a final reply after its stream was ended');
      return Promise.resolve();
    }
    // A final too large to send throws here with the stream still open, so the error reply that follows goes out.
    const sent = this.io.send({ ...out, attributes: { ...out.attributes, [StreamAttribute.count]: String(this.sequence) } });
    this.end();
    return sent;
  }

  /** Ends the stream with an error reply, e.g. CLOSED when the client stops before the handler answered. */
  finishWithError(error: Pick<ErrorInfo, 'code' | 'message' | 'details'>): void {
    this.finish({ topic: this.request.replyTo, correlationId: this.request.correlationId, contractVersion: this.definition.contractVersion, error }).catch(
      () => undefined,
    );
  }

  /** Ends the stream without a word (the client is closing without draining). */
  end(reason?: BusError): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.beat);
    if (reason) this.abort(reason);
    clearTimeout(this.watchdog);
    clearTimeout(this.deadline);
    this.onEnd();
  }

  private details(): Record<string, string> {
    return { topic: this.definition.topic, correlationId: this.request.correlationId };
  }
}

export type { ActiveResponseStream };

export class ResponseStreams {
  private readonly active = new Map<string, ActiveResponseStream>();

  constructor(private readonly io: ResponseStreamIo) {}

  get size(): number {
    return this.active.size;
  }

  /** Starts answering a streamed request; undefined if this requester already has a stream with that id. */
  open(request: IncomingMessage, definition: StreamRequestDefinition, keepAliveMs: number | undefined): ActiveResponseStream | undefined {
    const key = streamKey(request.envelope.instanceId, request.correlationId);
    if (this.active.has(key)) return undefined;
    const stream = new ActiveResponseStream(request, definition, this.io, keepAliveMs, () => this.active.delete(key));
    this.active.set(key, stream);
    return stream;
  }

  /**
   * A control envelope from a requester. Every responder of the topic hears it; only the one answering that
   * requester's stream acts (another requester cannot cancel it: source and instance must match).
   */
  control(message: IncomingMessage): void {
    const stream = this.active.get(streamKey(message.envelope.instanceId, message.correlationId));
    if (!stream || stream.requesterSource !== message.source) return;
    const kind = message.envelope.attributes[StreamAttribute.control];
    stream.heardFromRequester();
    if (kind === 'cancel') {
      stream.abort(
        new BusError(BusErrorCode.Cancelled, `"${message.source}" cancelled ${message.topic} (correlation id ${message.correlationId}).`, {
          topic: message.topic,
          correlationId: message.correlationId,
        }),
      );
    }
  }

  /** Asks every handler to wind down (the client stops taking work); their final replies still go out. */
  abortAll(reason: BusError): void {
    for (const stream of this.active.values()) stream.abort(reason);
  }

  /** Ends every stream: with `error`, the requester gets it as the final reply; without, nothing more is sent. */
  endAll(reason: BusError, error?: Pick<ErrorInfo, 'code' | 'message' | 'details'>): void {
    for (const stream of [...this.active.values()]) {
      stream.abort(reason);
      if (error) stream.finishWithError(error);
      else stream.end(reason);
    }
  }
}

/**
 * Marks a rejection as handled, as BusClient.publish does: a handler that fires deltas and forgets (`void
 * stream.send(…)`) must not crash its service with an unhandled rejection when the client closes; one that awaits
 * still sees the error.
 */
function settled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

function streamKey(instanceId: string, correlationId: string): string {
  return `${instanceId}\u0000${correlationId}`;
}
