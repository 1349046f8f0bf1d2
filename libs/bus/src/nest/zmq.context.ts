import type { DescMessage } from '@bufbuild/protobuf';
import { BaseRpcContext } from '@nestjs/microservices';
import type { Envelope } from '@aico/contracts';
import { BusError, BusErrorCode } from '../bus.error';
import type { ResponseStream } from '../client/bus-client.types';
import type { IncomingMessage } from '../client/envelope-codec';

/** What a handler can learn about the envelope it is handling: `@Ctx() ctx: ZmqContext`. */
export class ZmqContext extends BaseRpcContext<[IncomingMessage] | [IncomingMessage, ResponseStream]> {
  getMessage(): IncomingMessage {
    return this.args[0];
  }
  getEnvelope(): Envelope {
    return this.args[0].envelope;
  }
  getTopic(): string {
    return this.args[0].topic;
  }
  getSource(): string {
    return this.args[0].source;
  }
  getCorrelationId(): string {
    return this.args[0].correlationId;
  }
  /**
   * The stream of a streamed request (its topic declares a `stream` type): send deltas with it, watch its signal;
   * the handler's return value is the final reply. Throws NOT_A_STREAM_TOPIC on any other topic.
   */
  getStream<D extends DescMessage = DescMessage>(): ResponseStream<D> {
    const stream = this.args[1];
    if (!stream)
      throw new BusError(BusErrorCode.NotAStreamTopic, `${this.getTopic()} is not a streamed request topic; it has no stream to send deltas on.`, {
        topic: this.getTopic(),
      });
    return stream;
  }
}
