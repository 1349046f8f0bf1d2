// Serves the OpenAPI document of the REST API (openapi-document.ts), built once at start from the app's own
// controllers: the same function, over the same controllers, as the committed apps/gateway/openapi.json.
import { Controller, Get, type OnApplicationBootstrap } from '@nestjs/common';
import { z } from '@aico/config';
import { Access } from '../auth/access.decorator';
import { RouteAccessCheck } from '../auth/route-access.check';
import { Doc } from './doc.decorator';
import { buildOpenApiDocument, type OpenApiDocument } from './openapi-document';

const OpenApiDocumentResponse = z.looseObject({
  openapi: z.literal('3.1.0'),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});

@Controller()
export class OpenApiController implements OnApplicationBootstrap {
  private document: OpenApiDocument | undefined;

  constructor(private readonly routes: RouteAccessCheck) {}

  onApplicationBootstrap(): void {
    this.document = buildOpenApiDocument(this.routes.controllers());
  }

  @Get('openapi.json')
  @Access('public')
  @Doc('This document', { response: OpenApiDocumentResponse })
  openapi() {
    return this.document;
  }
}
