// The Nest transport end to end over a real proxy: @MessagePattern answers requests sent with ZmqClient (on a
// streamed topic with deltas through ctx.getStream()), @EventPattern receives events (exact and prefix), and coded
// errors come back as typed error replies.
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, MessagePattern, Payload, RpcException } from '@nestjs/microservices';
import { lastValueFrom, toArray } from 'rxjs';
import type { MessageInitShape } from '@bufbuild/protobuf';
import {
  defaultTopicRegistry,
  defineEvent,
  defineRequest,
  LogEntrySchema,
  PingRequestSchema,
  PingResponseSchema,
  type LogEntry,
  type PingRequest,
} from '@aico/contracts';
import { BusError, BusErrorCode, RemoteError } from '../bus.error';
import { nextValue, requestWhenRoutable, TestBus } from '../testing/bus-harness';
import { BusExceptionFilter } from './bus-exception.filter';
import { ZmqClient } from './zmq.client';
import { ZmqContext } from './zmq.context';
import { ZmqServer } from './zmq.server';

const Echo = defineRequest({
  topic: 'test.echo.request',
  payload: PingRequestSchema,
  response: PingResponseSchema,
  publishers: 'any',
  responders: 'any',
  contractVersion: 1,
  description: 'Echo for transport tests.',
});
const NoteCreated = defineEvent({ topic: 'test.note.created', payload: LogEntrySchema, publishers: 'any', contractVersion: 1, description: 'Test event.' });
const Count = defineRequest({
  topic: 'test.count.stream',
  payload: PingRequestSchema,
  response: PingResponseSchema,
  stream: LogEntrySchema,
  publishers: 'any',
  responders: 'any',
  contractVersion: 1,
  description: 'Streamed request for transport tests: counts to `sequence` in deltas.',
});
const registry = defaultTopicRegistry.with([Echo, NoteCreated, Count]);

const received: { message: string; source: string; via: string }[] = [];
let onEvent: (() => void) | undefined;

@Controller()
class EchoController {
  @MessagePattern('test.echo.request')
  echo(@Payload() request: PingRequest, @Ctx() context: ZmqContext): MessageInitShape<typeof PingResponseSchema> {
    if (request.sequence === 13n) throw new RpcException({ code: 'TEST_UNLUCKY', message: 'Thirteen is refused; pick another number.' });
    if (request.sequence === 14n) throw new BusError(BusErrorCode.InvalidRequest, 'Fourteen is not a valid sequence.');
    if (request.sequence === 15n) context.getStream(); // not a streamed topic: throws NOT_A_STREAM_TOPIC
    return { data: request.data, sequence: request.sequence + 1n, service: context.getSource() };
  }

  @MessagePattern('test.count.stream')
  async count(@Payload() request: PingRequest, @Ctx() context: ZmqContext): Promise<MessageInitShape<typeof PingResponseSchema>> {
    const stream = context.getStream<typeof LogEntrySchema>();
    for (let i = 1n; i <= request.sequence; i++) await stream.send({ message: `count ${i}` });
    return { sequence: BigInt(stream.sent), service: 'counter' };
  }

  @EventPattern('test.note.created')
  noted(@Payload() entry: LogEntry, @Ctx() context: ZmqContext): void {
    received.push({ message: entry.message, source: context.getSource(), via: 'exact' });
    onEvent?.();
  }

  @EventPattern('test.*')
  anyTest(@Ctx() context: ZmqContext): void {
    if (context.getTopic() === 'test.note.created') received.push({ message: '', source: context.getSource(), via: 'prefix' });
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

describe('Nest transport over the bus', () => {
  let bus: TestBus;
  let app: INestMicroservice;
  let client: ZmqClient;

  beforeAll(async () => {
    bus = await new TestBus({ transport: 'ipc', registry }).start();
    const serverBus = bus.client('storage');
    app = await NestFactory.createMicroservice(EchoModule, { strategy: new ZmqServer(serverBus, registry), logger: false });
    app.useGlobalFilters(new BusExceptionFilter());
    await app.listen();
    client = new ZmqClient(await bus.connected('gateway'), registry);
    await client.connect();
  });
  afterAll(async () => {
    await app.close();
    await bus.stop();
  });

  it('answers client.send() from a @MessagePattern handler with the typed reply', async () => {
    const reply = await requestWhenRoutable(() => lastValueFrom(client.send('test.echo.request', { sequence: 1n, data: new Uint8Array([9]) })));
    expect(reply).toMatchObject({ $typeName: 'aico.system.v1.PingResponse', sequence: 2n, service: 'gateway' });
    expect(Array.from(reply.data)).toEqual([9]);
  });

  it('returns RpcException and BusError codes as typed error replies', async () => {
    const unlucky = await lastValueFrom(client.send('test.echo.request', { sequence: 13n })).catch((error: unknown) => error);
    expect(unlucky).toBeInstanceOf(RemoteError);
    expect(unlucky).toMatchObject({ code: 'TEST_UNLUCKY', message: 'Thirteen is refused; pick another number.', source: 'storage' });
    const invalid = await lastValueFrom(client.send('test.echo.request', { sequence: 14n })).catch((error: unknown) => error);
    expect(invalid).toMatchObject({ code: BusErrorCode.InvalidRequest, message: 'Fourteen is not a valid sequence.' });
  });

  it('streams the deltas a @MessagePattern handler sends through ctx.getStream(), then its final reply, to client.send()', async () => {
    const values = await lastValueFrom(client.send('test.count.stream', { sequence: 3n }).pipe(toArray()));
    expect(values).toEqual([
      expect.objectContaining({ $typeName: 'aico.system.v1.LogEntry', message: 'count 1' }),
      expect.objectContaining({ $typeName: 'aico.system.v1.LogEntry', message: 'count 2' }),
      expect.objectContaining({ $typeName: 'aico.system.v1.LogEntry', message: 'count 3' }),
      expect.objectContaining({ $typeName: 'aico.system.v1.PingResponse', sequence: 3n, service: 'counter' }),
    ]);
    const notStreamed = await lastValueFrom(client.send('test.echo.request', { sequence: 15n })).catch((error: unknown) => error);
    expect(notStreamed).toMatchObject({
      code: BusErrorCode.NotAStreamTopic,
      message: expect.stringContaining('test.echo.request is not a streamed request topic'),
    });
  });

  it('delivers client.emit() to the exact and the prefix @EventPattern handlers', async () => {
    const arrived = nextValue<void>((deliver) => (onEvent = deliver));
    await lastValueFrom(client.emit('test.note.created', { message: 'hello' }), { defaultValue: undefined });
    await arrived;
    expect(received).toContainEqual({ message: 'hello', source: 'gateway', via: 'exact' });
    expect(received).toContainEqual({ message: '', source: 'gateway', via: 'prefix' });
  });

  it('refuses send() on an event topic and emit() on an unregistered one', async () => {
    await expect(lastValueFrom(client.send('test.note.created', {}))).rejects.toMatchObject({ code: BusErrorCode.NotARequestTopic });
    await expect(lastValueFrom(client.emit('test.nothing.here', {}))).rejects.toMatchObject({ code: BusErrorCode.UnknownTopic });
  });

  it('refuses at startup a @MessagePattern that names no registered request topic', async () => {
    @Controller()
    class BrokenController {
      @MessagePattern('test.not.registered')
      handle(): string {
        return 'never called';
      }
    }
    @Module({ controllers: [BrokenController] })
    class BrokenModule {}
    const broken = await NestFactory.createMicroservice(BrokenModule, { strategy: new ZmqServer(bus.client('scheduler'), registry), logger: false });
    await expect(broken.listen()).rejects.toMatchObject({ code: BusErrorCode.NotARequestTopic, message: expect.stringContaining('test.not.registered') });
    await broken.close();
  });
});
