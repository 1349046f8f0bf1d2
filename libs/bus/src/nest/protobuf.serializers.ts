// The (de)serialisation between Nest packets and protobuf messages. The transport moves envelopes; these classes
// decide what a handler receives (the unpacked payload) and turn what it returns into the registered message type.
import { create, isMessage, type DescMessage, type Message, type MessageInitShape } from '@bufbuild/protobuf';
import type {
  ConsumerDeserializer,
  ConsumerSerializer,
  IncomingEvent,
  IncomingRequest,
  OutgoingResponse,
  ProducerSerializer,
  ReadPacket,
} from '@nestjs/microservices';
import type { TopicRegistry } from '@aico/contracts';
import { BusError, BusErrorCode } from '../bus.error';
import type { IncomingMessage } from '../client/envelope-codec';

/** Incoming envelope → Nest packet whose data is the typed payload message. */
export class ProtobufDeserializer implements ConsumerDeserializer {
  deserialize(message: IncomingMessage): IncomingRequest | IncomingEvent {
    const data = message.payload;
    return message.replyTo ? { id: message.correlationId, pattern: message.topic, data } : { pattern: message.topic, data };
  }
}

/** A handler's result → the message type its request topic registers for replies. */
export class ProtobufResponseSerializer implements ConsumerSerializer {
  constructor(private readonly responseSchema: DescMessage) {}

  serialize(value: OutgoingResponse | Message | MessageInitShape<DescMessage> | undefined): Message {
    const response = value && typeof value === 'object' && 'response' in value && !('$typeName' in value) ? (value as OutgoingResponse).response : value;
    if (response === undefined || response === null) return create(this.responseSchema);
    if (isMessage(response)) {
      if (response.$typeName !== this.responseSchema.typeName) {
        throw new BusError(BusErrorCode.WrongPayloadType, `The handler returned ${response.$typeName}; the reply must be ${this.responseSchema.typeName}.`);
      }
      return response;
    }
    return create(this.responseSchema, response as MessageInitShape<DescMessage>);
  }
}

/** Outgoing Nest packet (client.send / client.emit) → a message of the topic's registered payload type. */
export class ProtobufRequestSerializer implements ProducerSerializer {
  constructor(private readonly registry: TopicRegistry) {}

  serialize(packet: ReadPacket): Message {
    const topic = String(packet.pattern);
    const definition = this.registry.get(topic);
    if (!definition) throw new BusError(BusErrorCode.UnknownTopic, `Topic "${topic}" is not in the topic registry.`, { topic });
    const data: unknown = packet.data;
    if (isMessage(data)) return data;
    return create(definition.payload, (data ?? {}) as MessageInitShape<DescMessage>);
  }
}
