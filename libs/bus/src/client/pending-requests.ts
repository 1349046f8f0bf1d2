// The requests this client is waiting on, by correlation id: each ends with its reply (typed, or a RemoteError),
// its deadline (DEADLINE_EXCEEDED), an abort (CANCELLED), or the client closing.
import type { Message } from '@bufbuild/protobuf';
import { anyIs } from '@bufbuild/protobuf/wkt';
import type { Envelope, RequestDefinition } from '@aico/contracts';
import { BusError, BusErrorCode, RemoteError } from '../bus.error';
import { IncomingMessage } from './envelope-codec';

interface PendingRequest {
  readonly definition: RequestDefinition;
  readonly resolve: (value: Message) => void;
  readonly reject: (error: unknown) => void;
}

export class PendingRequests {
  private readonly pending = new Map<string, PendingRequest>();

  has(correlationId: string): boolean {
    return this.pending.has(correlationId);
  }

  get size(): number {
    return this.pending.size;
  }

  track(correlationId: string, definition: RequestDefinition, timeoutMs: number, signal?: AbortSignal): Promise<Message> {
    return new Promise<Message>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.pending.delete(correlationId);
        signal?.removeEventListener('abort', onAbort);
      };
      const details = { topic: definition.topic, correlationId };
      const timer = setTimeout(() => {
        finish();
        reject(
          new BusError(
            BusErrorCode.DeadlineExceeded,
            `No reply to ${definition.topic} within ${timeoutMs} ms (correlation id ${correlationId}). Is a service that answers it running?`,
            details,
          ),
        );
      }, timeoutMs);
      const onAbort = (): void => {
        finish();
        reject(new BusError(BusErrorCode.Cancelled, `The request on ${definition.topic} was cancelled.`, details));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(correlationId, {
        definition,
        resolve: (value) => {
          finish();
          resolve(value);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      });
    });
  }

  /** Settles the request a reply answers. Returns false when no request waits for it (a late or foreign reply). */
  settle(reply: Envelope): boolean {
    const pending = this.pending.get(reply.correlationId);
    if (!pending) return false;
    const outcome = replyOutcome(reply, pending.definition);
    if ('error' in outcome) pending.reject(outcome.error);
    else pending.resolve(outcome.value);
    return true;
  }

  fail(correlationId: string, error: unknown): void {
    this.pending.get(correlationId)?.reject(error);
  }

  failAll(error: unknown): void {
    for (const request of [...this.pending.values()]) request.reject(error);
  }
}

/** What a (final) reply means for its request: the typed response, or the error to reject with. */
export function replyOutcome(reply: Envelope, definition: RequestDefinition): { value: Message } | { error: unknown } {
  if (reply.error) return { error: new RemoteError(reply.error.code, reply.error.message, reply.source, reply.error.details) };
  const schema = definition.response;
  if (reply.payload && !anyIs(reply.payload, schema)) {
    return {
      error: new BusError(
        BusErrorCode.WrongPayloadType,
        `The reply to ${definition.topic} from "${reply.source}" carries ${reply.payload.typeUrl}, not ${schema.typeName}.`,
      ),
    };
  }
  return { value: new IncomingMessage(reply, schema).payload };
}
