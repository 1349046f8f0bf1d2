// NestJS ClientProxy over the aico bus: `client.send(topic, payload)` is a request with a deadline and a typed
// reply (or RemoteError); on a streamed topic the Observable emits each delta, then the final reply, and
// unsubscribing cancels the stream. `client.emit(topic, payload)` publishes an event.
import { ClientProxy, type ReadPacket, type WritePacket } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import { isStreamRequest, type TopicRegistry } from '@aico/contracts';
import { BusError, BusErrorCode } from '../bus.error';
import type { BusClient } from '../client/bus-client';
import { ProtobufRequestSerializer } from './protobuf.serializers';

export class ZmqClient extends ClientProxy {
  private readonly messages: ProtobufRequestSerializer;

  constructor(
    private readonly bus: BusClient,
    private readonly registry: TopicRegistry,
    private readonly options: { timeoutMs?: number } = {},
  ) {
    super();
    this.messages = new ProtobufRequestSerializer(registry);
  }

  async connect(): Promise<BusClient> {
    await this.bus.connect();
    return this.bus;
  }

  /** The BusClient belongs to the service bootstrap, which closes it; nothing is owned here. */
  close(): void {
    return undefined;
  }

  unwrap<T>(): T {
    return this.bus as T;
  }

  override on(): never {
    throw new Error('The aico bus client has no transport events; subscribe to the BusClient instead.');
  }

  /**
   * Nest's send() wraps every request in defer(connect) and mergeMap: rxjs's defer, mergeMap and innerFrom were the
   * largest frames of the requester's CPU profile in tools/bench/bus. Once the bus is connected there is nothing to
   * wait for: the request Observable is built directly, with the same callback protocol.
   */
  // The signature is ClientProxy's, `any` defaults included, so callers keep inferring what they did.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override send<TResult = any, TInput = any>(pattern: unknown, data: TInput): Observable<TResult> {
    if (this.bus.state !== 'ready' || pattern === undefined || pattern === null || data === undefined || data === null) return super.send(pattern, data);
    return new Observable<TResult>((observer) => this.publish({ pattern, data }, this.createObserver(observer)));
  }

  protected publish(packet: ReadPacket, callback: (packet: WritePacket) => void): () => void {
    const topic = String(packet.pattern);
    const definition = this.registry.get(topic);
    if (definition?.kind !== 'request') {
      callback({
        err: new BusError(BusErrorCode.NotARequestTopic, `"${topic}" is not a registered request topic; use emit() for events.`, { topic }),
        isDisposed: true,
      });
      return () => undefined;
    }
    const abort = new AbortController();
    let payload;
    try {
      payload = this.messages.serialize(packet);
    } catch (error) {
      callback({ err: error, isDisposed: true });
      return () => undefined;
    }
    const timeout = this.options.timeoutMs;
    const options = { signal: abort.signal, ...(timeout ? { timeoutMs: timeout } : {}) };
    // rxjs runs the teardown after every completed request too; aborting then would build a DOMException per call.
    let settled = false;
    (isStreamRequest(definition)
      ? this.bus.requestStream(definition, payload, { ...options, onDelta: (response) => callback({ response, isDisposed: false }) })
      : this.bus.request(definition, payload, options)
    ).then(
      (response) => {
        settled = true;
        callback({ response, isDisposed: true });
      },
      (err: unknown) => {
        settled = true;
        callback({ err, isDisposed: true });
      },
    );
    return () => {
      if (!settled) abort.abort();
    };
  }

  protected async dispatchEvent<T = void>(packet: ReadPacket): Promise<T> {
    await this.bus.publish(String(packet.pattern), this.messages.serialize(packet));
    return undefined as T;
  }
}
