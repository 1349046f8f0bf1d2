// The Models page: the catalog with whether each model fits this machine now and the models service's status (admins
// and users who may read the system status), and, for admins (models.manage), import a local file, pull one with
// progress over the WebSocket, choose the model for chat, remove one.
import { Controller, Delete, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { toJson } from '@bufbuild/protobuf';
import { BusClient } from '@aico/bus';
import { ImportModelResponseSchema, ListModelsResponseSchema, ModelPurpose, ModelsStatusResponseSchema, ModelsTopics, RemoveModelResponseSchema, UseModelResponseSchema } from '@aico/contracts';
import { Permission } from '@aico/policy';
import { Access } from '../auth/access.decorator';
import type { AuthenticatedRequest } from '../auth/auth.guard';
import { ImportModelBody, ImportModelResponse, ModelsResponse, PullModelBody, PullStartedResponse, RemoveModelResponse, UseModelBody, UseModelResponse } from '../http/conversation-schemas';
import { Doc } from '../http/doc.decorator';
import { ValidBody, type Input } from '../http/valid-input';
import { callService } from '../http/service-call';
import { ModelPulls } from './model-pulls';

@Controller('models')
export class ModelsController {
  constructor(
    private readonly bus: BusClient,
    private readonly pulls: ModelPulls,
  ) {}

  @Doc('The installed models, whether each fits this machine now, and the models service status', { response: ModelsResponse })
  @Get()
  @Access(Permission.SystemStatusRead)
  async list() {
    const catalog = await callService('models', () => this.bus.request(ModelsTopics.catalogList, { withFit: true }));
    // The status is a second opinion: a catalog without it is still worth showing.
    const status = await this.bus.request(ModelsTopics.status, {}).catch(() => undefined);
    return { catalog: toJson(ListModelsResponseSchema, catalog), status: status ? toJson(ModelsStatusResponseSchema, status) : null };
  }

  @Doc('Import a GGUF file the models service can read into the catalog', { response: ImportModelResponse })
  @Post('import')
  @HttpCode(201)
  @Access(Permission.ModelsManage)
  async import(@Req() request: AuthenticatedRequest, @ValidBody(ImportModelBody) input: Input<typeof ImportModelBody>) {
    // Copying and hashing a large file takes a while.
    const imported = await callService('models', () => this.bus.request(ModelsTopics.catalogImport, { path: input.path, name: input.name ?? '' }, { timeoutMs: 30 * 60_000, attributes: { user: request.user!.sub } }));
    return toJson(ImportModelResponseSchema, imported);
  }

  @Doc('Download a model (https URL or hf:owner/repo/file.gguf); progress goes to your WebSockets as models.catalog.pull.progress / .completed frames with pullId', { response: PullStartedResponse })
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
    const used = await callService('models', () => this.bus.request(ModelsTopics.catalogUse, { name, purpose: ModelPurpose.CHAT }, { attributes: { user: request.user!.sub } }));
    return toJson(UseModelResponseSchema, used);
  }

  @Doc('Remove a model and its file', { response: RemoveModelResponse })
  @Delete(':name')
  @Access(Permission.ModelsManage)
  async remove(@Req() request: AuthenticatedRequest, @Param('name') name: string) {
    const removed = await callService('models', () => this.bus.request(ModelsTopics.catalogRemove, { name }, { timeoutMs: 60_000, attributes: { user: request.user!.sub } }));
    return { ...(toJson(RemoveModelResponseSchema, removed) as object), removed: removed.removed };
  }
}
