// The OpenAPI 3.1 document of the REST API, built at start from the routes themselves: their paths, methods and
// declared access (RouteAccessCheck), and the zod schemas of their bodies and queries (@Doc). A route cannot be
// missing from the document.
import { Controller, Get, SetMetadata, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { z } from '@aico/config';
import { Access } from '../auth/access.decorator';
import { RouteAccessCheck } from '../auth/route-access.check';

export const DOC_METADATA = 'aico:doc';
export interface RouteDoc {
  readonly summary: string;
  readonly body?: z.ZodType;
  readonly query?: z.ZodType;
}
export const Doc = (summary: string, schemas: Omit<RouteDoc, 'summary'> = {}) => SetMetadata(DOC_METADATA, { summary, ...schemas } satisfies RouteDoc);

export const API_PREFIX = '/api/v1';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' }, requestId: { type: 'string' } } } },
};

@Controller()
export class OpenApiController implements OnApplicationBootstrap {
  private document: Record<string, unknown> = {};

  constructor(
    private readonly routes: RouteAccessCheck,
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onApplicationBootstrap(): void {
    const docs = new Map<string, RouteDoc>();
    for (const wrapper of this.discovery.getControllers()) {
      const prototype = wrapper.metatype?.prototype as Record<string, object> | undefined;
      if (!prototype || !wrapper.metatype) continue;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const doc = this.reflector.get<RouteDoc | undefined>(DOC_METADATA, prototype[name] as never);
        if (doc) docs.set(`${wrapper.metatype.name}.${name}`, doc);
      }
    }
    const paths: Record<string, Record<string, unknown>> = {};
    for (const route of this.routes.routes()) {
      const doc = docs.get(route.handler);
      const path = `${API_PREFIX}${route.path}`.replace(/:(\w+)/g, '{$1}');
      const parameters = [...path.matchAll(/\{(\w+)\}/g)].map((match) => ({ name: match[1], in: 'path', required: true, schema: { type: 'string' } }));
      const query = doc?.query ? (z.toJSONSchema(doc.query, { io: 'input' }) as { properties?: Record<string, unknown>; required?: string[] }) : undefined;
      for (const [name, schema] of Object.entries(query?.properties ?? {})) parameters.push({ name, in: 'query', required: query?.required?.includes(name) ?? false, schema: schema as { type: string } });
      paths[path] ??= {};
      paths[path][route.method.toLowerCase()] = {
        summary: doc?.summary ?? route.handler,
        operationId: route.handler,
        'x-aico-access': route.access,
        ...(route.access === 'public' ? { security: [] } : {}),
        ...(parameters.length > 0 ? { parameters } : {}),
        ...(doc?.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(doc.body, { io: 'input' }) } } } } : {}),
        responses: {
          default: { description: 'An error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
          '2XX': { description: 'Success' },
        },
      };
    }
    this.document = {
      openapi: '3.1.0',
      info: { title: 'aico gateway', version: '1' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }, schemas: { Error: errorSchema } },
      security: [{ bearer: [] }],
      paths,
    };
  }

  @Get('openapi.json')
  @Access('public')
  @Doc('This document')
  openapi() {
    return this.document;
  }
}
