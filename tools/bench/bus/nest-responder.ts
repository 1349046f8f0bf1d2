// Nest responder process: a Nest microservice on the aico transport (ZmqServer over a BusClient, as run-service.ts
// sets it up) whose @MessagePattern controller echoes the bench request.
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { BusExceptionFilter, ZmqServer } from '@aico/bus';
import type { PingRequest, PingResponseSchema } from '@aico/contracts';
import { benchClient, benchRegistry, SUBSCRIBER_IDENTITY } from './bench-topics';
import { log, readSetup, serve } from './child-runtime';
import { ECHO_TOPIC } from './protocol';

@Controller()
class EchoController {
  @MessagePattern(ECHO_TOPIC)
  echo(@Payload() request: PingRequest): MessageInitShape<typeof PingResponseSchema> {
    return { data: request.data, sequence: request.sequence, service: SUBSCRIBER_IDENTITY };
  }
}

@Module({ controllers: [EchoController] })
class BenchEchoModule {}

async function main(): Promise<void> {
  const setup = readSetup();
  const bus = benchClient(setup, SUBSCRIBER_IDENTITY);
  const app = await NestFactory.createMicroservice(BenchEchoModule, { strategy: new ZmqServer(bus, benchRegistry), logger: ['error', 'warn'] });
  app.useGlobalFilters(new BusExceptionFilter());
  await app.listen();
  serve({ busStats: () => bus.stats }, { replyTopic: bus.replyTopic }, async () => {
    await app.close();
    await bus.close({ drainTimeoutMs: 0 });
  });
}

main().catch((error: unknown) => {
  log('nest-responder', `failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
