import { BaseRpcContext } from '@nestjs/microservices';
import type { Envelope } from '@aico/contracts';
import type { IncomingMessage } from '../client/envelope-codec';

/** What a handler can learn about the envelope it is handling: `@Ctx() ctx: ZmqContext`. */
export class ZmqContext extends BaseRpcContext<[IncomingMessage]> {
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
}
