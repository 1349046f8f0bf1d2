// The OpenAPI document built from the gateway's controllers without running it: every operation says what it
// answers, operation ids are unique and stable, path parameters are declared, and a route that cannot be described
// stops the build naming it.
import 'reflect-metadata';
import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { z } from '@aico/config';
import { Access } from '../auth/access.decorator';
import { GATEWAY_CONTROLLERS } from '../gateway-controllers';
import { Doc } from './doc.decorator';
import { buildOpenApiDocument } from './openapi-document';

interface Operation {
  operationId: string;
  parameters?: { name: string; in: string; required: boolean }[];
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}

const document = buildOpenApiDocument(GATEWAY_CONTROLLERS);
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ path, method, ...(operation as Operation) })),
);

describe('buildOpenApiDocument (the gateway controllers)', () => {
  it('gives every operation a JSON response schema for its success status, or a 204 without content, and the error default', () => {
    expect(operations.length).toBeGreaterThanOrEqual(18);
    for (const operation of operations) {
      const success = Object.keys(operation.responses).filter((status) => status !== 'default');
      expect([operation.operationId, success.length > 0]).toEqual([operation.operationId, true]);
      for (const status of success) {
        const content = operation.responses[status]!.content;
        if (status === '204') expect([operation.operationId, content]).toEqual([operation.operationId, undefined]);
        // A file download (a thread's export) declares its content types with a text body.
        else if (operation.operationId === 'ConversationController.export')
          expect(content).toEqual({ 'text/markdown': { schema: { type: 'string' } }, 'application/json': { schema: { type: 'string' } } });
        else
          expect([operation.operationId, content?.['application/json']?.schema]).toEqual([operation.operationId, expect.objectContaining({ type: 'object' })]);
      }
      expect(operation.responses['default']!.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/Error' });
    }
    expect(document.paths['/api/v1/auth/logout-all']!['post']).toMatchObject({
      responses: { '200': { content: { 'application/json': { schema: { required: ['ended'] } } } } },
    });
    expect(Object.keys((document.paths['/api/v1/health/ready']!['get'] as Operation).responses)).toEqual(['200', '503', 'default']);
    expect(Object.keys((document.paths['/api/v1/users']!['post'] as Operation).responses)).toEqual(['201', 'default']);
  });

  it('has unique operation ids, named <Controller>.<method>', () => {
    const ids = operations.map((operation) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[A-Z]\w+Controller\.\w+$/);
    expect(ids).toEqual(expect.arrayContaining(['AuthController.login', 'AuthController.sessions', 'AuthController.endSession', 'AuthController.logoutAll']));
  });

  it('lists every path parameter as a required parameter, and query parameters from the query schema', () => {
    for (const operation of operations) {
      const inPath = [...operation.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      const declared = (operation.parameters ?? []).filter((parameter) => parameter.in === 'path');
      expect([operation.operationId, declared.map((parameter) => [parameter.name, parameter.required])]).toEqual([
        operation.operationId,
        inPath.map((name) => [name, true]),
      ]);
    }
    expect(operations.find((operation) => operation.operationId === 'AuthController.endSession')).toMatchObject({
      path: '/api/v1/auth/sessions/{id}',
      method: 'delete',
    });
    const logs = operations.find((operation) => operation.operationId === 'SystemController.logs')!;
    expect(logs.parameters?.filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name)).toContain('minLevel');
  });

  it('is the same document every time it is built, its paths in order', () => {
    expect(JSON.stringify(buildOpenApiDocument(GATEWAY_CONTROLLERS))).toBe(JSON.stringify(document));
    const paths = Object.keys(document.paths);
    expect(paths).toEqual([...paths].sort());
  });
});

describe('buildOpenApiDocument (routes it cannot describe)', () => {
  @Controller('things')
  class UndescribedController {
    @Get()
    @Access('public')
    @Doc('Things, but what do they look like?')
    list() {
      return [];
    }

    @Post()
    @HttpCode(204)
    @Access('public')
    @Doc('Make a thing', { response: z.object({ id: z.string() }) })
    make() {
      return undefined;
    }

    @Get('plain')
    @Access('public')
    plain() {
      return {};
    }
  }

  it('refuses, naming each route and what is missing', () => {
    expect(() => buildOpenApiDocument([UndescribedController])).toThrow(
      'Routes the OpenAPI document cannot describe: GET /things (UndescribedController.list): answers 200 but declares no response schema; POST /things (UndescribedController.make): answers 204 but declares a response schema; GET /things/plain (UndescribedController.plain): no @Doc(summary, { response })',
    );
  });
});
