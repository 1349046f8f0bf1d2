// One declaration per request schema: @ValidBody / @ValidQuery validate what a route receives (400 INVALID_BODY /
// INVALID_QUERY naming the issues), hand the handler the parsed value (coerced, trimmed), and are the schemas the
// OpenAPI document shows. Every gateway route that reads a body or a query does it through them.
import 'reflect-metadata';
import { Controller, Module, Post, type INestApplication } from '@nestjs/common';
import { PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { NestFactory } from '@nestjs/core';
import { z } from '@aico/config';
import type { Logger } from '@aico/logging';
import { Access } from '../auth/access.decorator';
import { GATEWAY_CONTROLLERS } from '../gateway-controllers';
import { ApiExceptionFilter } from './api-exception.filter';
import { badRequest } from './api-error';
import { Doc } from './doc.decorator';
import { buildOpenApiDocument } from './openapi-document';
import { ValidBody, ValidQuery, ZodInputPipe, type Input } from './valid-input';

const NoteBody = z.strictObject({ text: z.string().trim().min(1).max(20) });
const NoteQuery = z.strictObject({ limit: z.coerce.number().int().min(1).optional() });

function refuseForbidden({ text }: Input<typeof NoteBody>): void {
  if (text === 'forbidden') throw badRequest('NOTE_FORBIDDEN', 'Not that note.');
}

@Controller('notes')
class NotesController {
  readonly received: unknown[] = [];

  @Doc('Write a note', { response: z.strictObject({ text: z.string(), limit: z.number().optional() }) })
  @Post()
  @Access('public')
  write(@ValidBody(NoteBody, { after: refuseForbidden }) body: Input<typeof NoteBody>, @ValidQuery(NoteQuery) query: Input<typeof NoteQuery>) {
    this.received.push(body, query);
    return { text: body.text, limit: query.limit };
  }
}

async function serve() {
  @Module({ controllers: [NotesController] })
  class NotesModule {}
  const app: INestApplication = await NestFactory.create(NotesModule, { logger: false });
  app.useGlobalFilters(new ApiExceptionFilter({ error: jest.fn(), warn: jest.fn() } as unknown as Logger));
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as { address(): { port: number } }).address();
  const call = async (path: string, json?: unknown) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, {
      method: 'POST',
      ...(json === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(json) }),
    });
    return { status: response.status, body: (await response.json()) as { error?: { code: string; message: string } } };
  };
  return { app, call };
}

describe('@ValidBody / @ValidQuery', () => {
  it('hands the handler the parsed body and query, and refuses bad ones with INVALID_BODY / INVALID_QUERY naming the issue', async () => {
    const { app, call } = await serve();
    try {
      expect(await call('/notes?limit=3', { text: '  hi  ' })).toEqual({ status: 201, body: { text: 'hi', limit: 3 } });
      expect(await call('/notes', { text: 'hi', extra: true })).toMatchObject({
        status: 400,
        body: { error: { code: 'INVALID_BODY', message: expect.stringContaining('Unrecognized key') } },
      });
      expect(await call('/notes')).toMatchObject({
        status: 400,
        body: { error: { code: 'INVALID_BODY', message: expect.stringMatching(/^The request body is not valid: text: /) } },
      });
      expect(await call('/notes?limit=0', { text: 'hi' })).toMatchObject({
        status: 400,
        body: { error: { code: 'INVALID_QUERY', message: expect.stringMatching(/^The request query is not valid: limit: /) } },
      });
      expect(await call('/notes', { text: 'forbidden' })).toMatchObject({ status: 400, body: { error: { code: 'NOTE_FORBIDDEN' } } });
    } finally {
      await app.close();
    }
  });

  it('documents the body and the query it validates', () => {
    const operation = buildOpenApiDocument([NotesController]).paths['/api/v1/notes']!['post'] as {
      requestBody?: unknown;
      parameters?: { name: string; in: string }[];
    };
    expect(operation.requestBody).toMatchObject({ required: true, content: { 'application/json': { schema: { required: ['text'] } } } });
    expect(operation.parameters).toEqual([expect.objectContaining({ name: 'limit', in: 'query', required: false })]);
  });

  it('is how every gateway route reads its body and its query (no handler gets them unchecked)', () => {
    const unchecked: string[] = [];
    let checked = 0;
    for (const controller of GATEWAY_CONTROLLERS) {
      // REST handlers only: a bus handler's @Payload is recorded under the same keys.
      for (const name of Object.getOwnPropertyNames(controller.prototype).filter((name) =>
        Reflect.hasMetadata(PATH_METADATA, (controller.prototype as Record<string, object>)[name]!),
      )) {
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) ?? {}) as Record<string, { pipes?: unknown[] }>;
        for (const [key, arg] of Object.entries(args)) {
          const type = Number(key.split(':')[0]);
          if (type !== RouteParamtypes.BODY && type !== RouteParamtypes.QUERY) continue;
          if (arg.pipes?.some((pipe) => pipe instanceof ZodInputPipe)) checked++;
          else unchecked.push(`${controller.name}.${name}`);
        }
      }
    }
    expect(unchecked).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(17);
  });
});
