// The request topics this client answers: at most one handler a topic. A request is checked (a reply topic, its
// deadline, the handler's accept filter, a decodable payload) before its handler runs; a repeated request with an
// idempotency key is answered from the cache instead of applied twice; a thrown error becomes a typed error reply.
import type { DescMessage, Message, MessageInitShape } from '@bufbuild/protobuf';
import { isReplyTopic, mayPublish, PublicError, type RequestDefinition, type StreamRequestDefinition } from '@aico/contracts';
import type { Logger } from '@aico/logging';
import { BusError, BusErrorCode, toErrorInfo } from '../bus.error';
import type { ResponseStream } from './bus-client.types';
import type { DropFn } from './pending-streams';
import type { IncomingMessage, OutgoingEnvelope } from './envelope-codec';
import type { HandlerAccounting } from './handler-accounting';
import { IdempotencyCache } from './idempotency-cache';
import type { ActiveResponseStream, ResponseStreams } from './response-streams';
import type { SubscriptionTable } from './subscription-table';
import type { TopicGuard } from './topic-guard';

type Reply = Message | MessageInitShape<DescMessage>;

export type RequestHandler = (message: IncomingMessage, stream: ResponseStream | undefined) => Promise<Reply>;

/** Set for a streamed topic: the handler gets a ResponseStream (and the keep-alive pace it asked for). */
export type StreamAnswering = { readonly keepAliveIntervalMs: number | undefined } | undefined;

interface Responder {
  readonly handler: RequestHandler;
  readonly accept: ((message: IncomingMessage) => boolean) | undefined;
  readonly stream: StreamAnswering;
}

export interface RespondersContext {
  readonly identity: string;
  readonly logger: Logger;
  readonly drop: DropFn;
  readonly guard: TopicGuard;
  readonly subscriptions: SubscriptionTable;
  readonly handlers: HandlerAccounting;
  readonly responseStreams: ResponseStreams;
  /** Queues an envelope (BusClient.send). */
  readonly send: (out: OutgoingEnvelope) => Promise<void>;
  /** True while the client still takes work (ready or reconnecting): a send that fails then is worth reporting. */
  readonly working: () => boolean;
}

export class RequestResponders {
  private readonly responders = new Map<string, Responder>();
  private readonly idempotency = new IdempotencyCache<Reply>();

  constructor(private readonly context: RespondersContext) {}

  /** Answers `definition`'s requests with `handler`; returns the function that stops answering. */
  add(definition: RequestDefinition, handler: RequestHandler, accept: ((request: never) => boolean) | undefined, stream: StreamAnswering): () => void {
    if (!mayPublish(definition.responders, this.context.identity)) {
      throw new BusError(BusErrorCode.NotPermitted, `Identity "${this.context.identity}" may not answer ${definition.topic}.`);
    }
    if (this.responders.has(definition.topic)) {
      throw new BusError(BusErrorCode.InvalidRequest, `A handler for ${definition.topic} is already registered on this client.`);
    }
    this.responders.set(definition.topic, { handler, accept: accept as ((message: IncomingMessage) => boolean) | undefined, stream });
    this.context.subscriptions.retain(definition.topic);
    return () => {
      if (this.responders.delete(definition.topic)) this.context.subscriptions.release(definition.topic);
    };
  }

  /** A request arrived on a registered request topic; answered if this client has a responder for it. */
  onRequest(definition: RequestDefinition, request: IncomingMessage): void {
    const responder = this.responders.get(definition.topic);
    if (!responder || !this.admit(definition, request, responder)) return;
    let stream: ActiveResponseStream | undefined;
    if (responder.stream) {
      stream = this.context.responseStreams.open(request, definition as StreamRequestDefinition, responder.stream.keepAliveIntervalMs);
      if (!stream) {
        this.context.drop(
          'malformed',
          { topic: definition.topic, source: request.source, correlationId: request.correlationId },
          'a second streamed request with the id of one still answered',
        );
        return;
      }
    }
    this.context.handlers.run(request, () => this.answer(definition, request, responder, stream));
  }

  /** Whether a request may reach its handler; a refused one is dropped and counted, never answered. */
  private admit(definition: RequestDefinition, request: IncomingMessage, responder: Responder): boolean {
    const { drop } = this.context;
    if (!request.replyTo || !isReplyTopic(request.replyTo)) {
      drop('malformed', { topic: definition.topic, source: request.source }, 'a request without a valid reply_to');
      return false;
    }
    const deadline = request.deadlineMs;
    if (deadline !== undefined && deadline < Date.now()) {
      drop(
        'expired_request',
        { topic: definition.topic, source: request.source, correlationId: request.correlationId },
        'the request passed its deadline before it was handled',
      );
      return false;
    }
    try {
      return !responder.accept || responder.accept(request);
    } catch (error) {
      drop('malformed', { topic: definition.topic, source: request.source, error: (error as Error).message }, 'the request payload does not decode');
      return false;
    }
  }

  private async answer(definition: RequestDefinition, request: IncomingMessage, responder: Responder, stream: ActiveResponseStream | undefined): Promise<void> {
    const { logger } = this.context;
    const send = (out: OutgoingEnvelope): Promise<void> => (stream ? stream.finish(out) : this.context.send(out));
    const reply: OutgoingEnvelope = { topic: request.replyTo, correlationId: request.correlationId, contractVersion: definition.contractVersion };
    try {
      decodeRequestPayload(definition, request);
      const key = request.envelope.idempotencyKey;
      // A stream is not replayed from the cache: its deltas went to the first requester only.
      const { result: pending, replayed } =
        key && !stream
          ? this.idempotency.run(`${definition.topic}\u0000${request.source}\u0000${key}`, () => responder.handler(request, undefined))
          : { result: responder.handler(request, stream), replayed: false };
      if (replayed)
        logger.debug({ topic: definition.topic, source: request.source, idempotencyKey: key }, 'Answered a repeated request from the idempotency cache');
      const result = await pending;
      const payload = this.context.guard.toMessage(definition.response, definition.topic, result);
      await send({ ...reply, schema: definition.response, payload });
    } catch (error) {
      // Sending failed because this client is closing: there is no one left to tell.
      if (error instanceof BusError && error.code === BusErrorCode.Closed && !this.context.working()) throw error;
      // A coded (public) error is an answer the caller can act on, not a failure of this service.
      if (error instanceof PublicError)
        logger.info({ code: error.code, reason: error.message, topic: definition.topic, source: request.source }, 'Request refused');
      else logger.error({ err: error, topic: definition.topic, source: request.source }, 'Request handler failed');
      await send({ ...reply, error: toErrorInfo(error, definition.topic, request.correlationId) });
    } finally {
      // A handler that failed before answering (or whose answer could not be sent) leaves nothing running.
      stream?.end();
    }
  }
}

/**
 * Decodes a request's payload before its handler runs, so a payload protobuf refuses (invalid UTF-8 in a string
 * field, a truncated message) is answered with INVALID_REQUEST naming why, instead of failing inside the handler.
 */
function decodeRequestPayload(definition: RequestDefinition, request: IncomingMessage): void {
  try {
    void request.payload;
  } catch (error) {
    throw new BusError(
      BusErrorCode.InvalidRequest,
      `The ${definition.topic} payload (${definition.payload.typeName}) does not decode: ${(error as Error).message}.`,
      {
        topic: definition.topic,
      },
    );
  }
}
