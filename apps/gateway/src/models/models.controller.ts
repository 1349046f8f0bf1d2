// The Models page: the catalog with whether each model fits this machine now and the models service's status (admins
// and users who may read the system status), and, for admins (models.manage), import a local file, pull one with
// progress over the WebSocket, choose the model for chat, remove one.
import { Controller, Delete, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { toJson } from '@bufbuild/protobuf';
import {
  ImportModelResponseSchema,
  ListModelsResponseSchema,
  ModelsStatusResponseSchema,
  RemoveModelResponseSchema,
  UseModelResponseSchema,
} from '@aico/contracts';
import { Permission } from '@aico/policy';
import { Access } from '../auth/access.decorator';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import {
  ImportModelBody,
  ImportModelResponse,
  ModelsResponse,
  PullModelBody,
  PullStartedResponse,
  RemoveModelResponse,
  UseModelBody,
  UseModelResponse,
} from '../http/conversation-schemas';
import { Doc } from '../http/doc.decorator';
import { ValidBody, type Input } from '../http/valid-input';
import { ModelPulls } from './model-pulls';
import { ModelsService } from './models.service';

@Controller('models')
export class ModelsController {
  constructor(
    private readonly models: ModelsService,
    private readonly pulls: ModelPulls,
  ) {}

  @Doc('The installed models, whether each fits this machine now, and the models service status', { response: ModelsResponse })
  @Get()
  @Access(Permission.SystemStatusRead)
  async list() {
    const { catalog, status } = await this.models.catalog();
    return { catalog: toJson(ListModelsResponseSchema, catalog), status: status ? toJson(ModelsStatusResponseSchema, status) : null };
  }

  @Doc('Import a GGUF file the models service can read into the catalog', { response: ImportModelResponse })
  @Post('import')
  @HttpCode(201)
  @Access(Permission.ModelsManage)
  async import(@Req() request: AuthenticatedRequest, @ValidBody(ImportModelBody) input: Input<typeof ImportModelBody>) {
    return toJson(ImportModelResponseSchema, await this.models.import(request.user!.sub, input));
  }

  @Doc(
    'Download a model (https URL or hf:owner/repo/file.gguf); progress goes to your WebSockets as models.catalog.pull.progress / .completed frames with pullId',
    { response: PullStartedResponse },
  )
  @Post('pull')
  @HttpCode(202)
  @Access(Permission.ModelsManage)
  pull(@Req() request: AuthenticatedRequest, @ValidBody(PullModelBody) input: Input<typeof PullModelBody>) {
    return { pullId: this.pulls.start(request.user!.sub, { source: input.source, name: input.name ?? '', sha256: input.sha256?.toLowerCase() ?? '' }) };
  }

  @Doc('Use a model for chat', { response: UseModelResponse })
  @Put('active')
  @Access(Permission.ModelsManage)
  async use(@Req() request: AuthenticatedRequest, @ValidBody(UseModelBody) { name }: Input<typeof UseModelBody>) {
    return toJson(UseModelResponseSchema, await this.models.use(request.user!.sub, name));
  }

  @Doc('Remove a model and its file', { response: RemoveModelResponse })
  @Delete(':name')
  @Access(Permission.ModelsManage)
  async remove(@Req() request: AuthenticatedRequest, @Param('name') name: string) {
    const removed = await this.models.remove(request.user!.sub, name);
    return { ...(toJson(RemoveModelResponseSchema, removed) as object), removed: removed.removed };
  }
}
