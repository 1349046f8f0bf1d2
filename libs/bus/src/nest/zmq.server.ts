// NestJS transport over the aico bus: `@EventPattern('topic')` subscribes to an event topic (or a `prefix.*`),
// `@MessagePattern('topic')` answers a request topic. The server uses a BusClient owned by the service bootstrap.
// On a streamed topic the handler sends its deltas with `ctx.getStream().send(…)` and returns the final reply; a
// returned Observable is not turned into deltas (nothing could tell its deltas from its final value without holding
// each value back until the next one arrives, which would delay every delta).
import { Server, type CustomTransportStrategy, type MessageHandler } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { isStreamRequest, type TopicRegistry } from '@aico/contracts';
import { BusError, BusErrorCode } from '../bus.error';
import type { BusClient } from '../client/bus-client';
import type { ResponseStream } from '../client/bus-client.types';
import type { IncomingMessage } from '../client/envelope-codec';
import { ProtobufDeserializer, ProtobufResponseSerializer } from './protobuf.serializers';
import { ZmqContext } from './zmq.context';

export const ZMQ_TRANSPORT = Symbol('aico-zmq-transport');
const PREFIX_WILDCARD = '.*';

export class ZmqServer extends Server implements CustomTransportStrategy {
  override readonly transportId = ZMQ_TRANSPORT;
  private readonly teardowns: (() => void)[] = [];
  private readonly requestTopics: string[] = [];

  constructor(
    private readonly bus: BusClient,
    private readonly registry: TopicRegistry,
  ) {
    super();
    this.deserializer = new ProtobufDeserializer();
  }

  /** Request topics this server answers, for the `system.service.ready` announcement. */
  get handledTopics(): readonly string[] {
    return this.requestTopics;
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      // Handlers subscribe before the client connects, so "ready" means they are routable.
      for (const [pattern, handler] of this.messageHandlers) this.bind(pattern, handler);
      await this.bus.connect();
      callback();
    } catch (error) {
      callback(error);
    }
  }

  close(): void {
    for (const teardown of this.teardowns.splice(0)) teardown();
  }

  on(): never {
    throw new Error('The aico bus transport has no transport events; subscribe to the BusClient instead.');
  }

  unwrap<T>(): T {
    return this.bus as T;
  }

  private bind(pattern: string, handler: MessageHandler): void {
    if (handler.isEventHandler) {
      if (pattern.endsWith(PREFIX_WILDCARD)) {
        const prefix = pattern.slice(0, -1);
        this.teardowns.push(this.bus.subscribePrefix(prefix, (message) => this.onEvent(handler, message)));
        return;
      }
      const definition = this.registry.get(pattern);
      if (definition?.kind !== 'event') {
        throw new BusError(BusErrorCode.UnknownTopic, `@EventPattern('${pattern}') does not name a registered event topic (or a "prefix.*").`, {
          topic: pattern,
        });
      }
      this.teardowns.push(this.bus.subscribe(definition, (message) => this.onEvent(handler, message)));
      return;
    }
    const definition = this.registry.get(pattern);
    if (definition?.kind !== 'request') {
      throw new BusError(BusErrorCode.NotARequestTopic, `@MessagePattern('${pattern}') does not name a registered request topic.`, { topic: pattern });
    }
    const responses = new ProtobufResponseSerializer(definition.response);
    this.teardowns.push(
      isStreamRequest(definition)
        ? this.bus.handleStream(definition, (message, stream) => this.onRequest(responses, handler, message, stream))
        : this.bus.handle(definition, (message) => this.onRequest(responses, handler, message)),
    );
    this.requestTopics.push(pattern);
  }

  /**
   * Runs an event handler and waits for its result, so a failure rejects and the bus client logs it. (Nest's own
   * handleEvent() subscribes to the result through a subject nobody observes, which swallows errors.)
   */
  private async onEvent(handler: MessageHandler, message: IncomingMessage): Promise<void> {
    const packet = this.deserializer.deserialize(message) as { data: unknown };
    const result$ = this.transformToObservable(await handler(packet.data, new ZmqContext([message])));
    await lastValueFrom(result$, { defaultValue: undefined });
  }

  private async onRequest(responses: ProtobufResponseSerializer, handler: MessageHandler, message: IncomingMessage, stream?: ResponseStream) {
    const packet = this.deserializer.deserialize(message) as { data: unknown };
    // What transformToObservable() would do, without wrapping a plain value in of() and subscribing to it.
    const result: unknown = await handler(packet.data, new ZmqContext(stream ? [message, stream] : [message]));
    const value: unknown = isObservable(result) ? await lastValueFrom(result, { defaultValue: undefined }) : result;
    return responses.serialize(value as never);
  }
}
