// The models service's bus contract: generate (streamed to the requester), cancel, token counts, embeddings, status,
// answered by the configured back end (llama.cpp or Ollama).
// The catalog's topics (models.catalog.*) have their own controller in catalog/.
import { Controller, Inject, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { ZmqContext } from '@aico/bus';
import { ModelsTopics } from '@aico/contracts';
import type { CancelGenerateRequest, CountTokensRequest, EmbedRequest, GenerateDeltaSchema, GenerateRequest } from '@aico/contracts';
import { MODELS_BACKEND, type ModelsBackend } from './models-backend';

@Controller()
export class ModelsController implements OnModuleInit, OnApplicationShutdown {
  constructor(@Inject(MODELS_BACKEND) private readonly models: ModelsBackend) {}

  onModuleInit(): void {
    this.models.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.models.stop();
  }

  @MessagePattern(ModelsTopics.generate.topic)
  generate(@Payload() request: GenerateRequest, @Ctx() context: ZmqContext) {
    return this.models.generate(request, context.getStream<typeof GenerateDeltaSchema>(), {
      id: context.getCorrelationId(),
      source: context.getSource(),
      deadlineMs: context.getMessage().deadlineMs,
    });
  }

  @MessagePattern(ModelsTopics.generateCancel.topic)
  cancel(@Payload() request: CancelGenerateRequest, @Ctx() context: ZmqContext) {
    return this.models.cancel(request, context.getSource());
  }

  @MessagePattern(ModelsTopics.tokensCount.topic)
  countTokens(@Payload() request: CountTokensRequest) {
    return this.models.countTokens(request);
  }

  @MessagePattern(ModelsTopics.embed.topic)
  embed(@Payload() request: EmbedRequest, @Ctx() context: ZmqContext) {
    return this.models.embed(request, context.getMessage().deadlineMs);
  }

  @MessagePattern(ModelsTopics.status.topic)
  status() {
    return this.models.status();
  }
}
