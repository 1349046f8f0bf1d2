// With gateway.validateResponses on, an answer that does not match its route's declared schema fails loudly (500
// RESPONSE_SCHEMA_MISMATCH, logged with the route); matching answers and 204s pass; with it off nothing is checked.
import 'reflect-metadata';
import { Controller, Get, HttpCode, Module, Post, type INestApplication } from '@nestjs/common';
import { APP_INTERCEPTOR, NestFactory } from '@nestjs/core';
import { z } from '@aico/config';
import type { Logger } from '@aico/logging';
import { SERVICE_CONFIG, SERVICE_LOGGER } from '@aico/service';
import { ApiExceptionFilter } from './api-exception.filter';
import { Doc } from './doc.decorator';
import { ResponseValidationInterceptor } from './response-validation.interceptor';

@Controller()
class ThingsController {
  @Get('good')
  @Doc('A thing as declared', { response: z.strictObject({ id: z.string(), at: z.iso.datetime() }) })
  good() {
    return { id: 'a', at: new Date(0) };
  }

  @Get('leaky')
  @Doc('A thing with a field nobody declared', { response: z.strictObject({ id: z.string() }) })
  leaky() {
    return { id: 'a', passwordHash: '$argon2id$...' };
  }

  @Post('done')
  @HttpCode(204)
  @Doc('Nothing to say')
  done() {
    return undefined;
  }
}

function newTestApp(validateResponses: boolean) {
  const logger = { error: jest.fn(), warn: jest.fn(), info: jest.fn(), debug: jest.fn() };
  @Module({
    controllers: [ThingsController],
    providers: [
      { provide: SERVICE_CONFIG, useValue: { gateway: { validateResponses } } },
      { provide: SERVICE_LOGGER, useValue: logger },
      { provide: APP_INTERCEPTOR, useClass: ResponseValidationInterceptor },
    ],
  })
  class TestModule {}
  return { logger, create: () => NestFactory.create(TestModule, { logger: false }) };
}

async function serve(app: INestApplication, logger: Pick<Logger, 'error'>) {
  app.useGlobalFilters(new ApiExceptionFilter(logger as Logger));
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as { address(): { port: number } }).address();
  return async (method: string, path: string) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };
}

describe('ResponseValidationInterceptor', () => {
  it('passes answers that match, and fails one with an undeclared field with 500 RESPONSE_SCHEMA_MISMATCH, logged with the route', async () => {
    const { logger, create } = newTestApp(true);
    const app = await create();
    try {
      const call = await serve(app, logger);
      expect(await call('GET', '/good')).toEqual({ status: 200, body: { id: 'a', at: '1970-01-01T00:00:00.000Z' } });
      expect(await call('POST', '/done')).toEqual({ status: 204, body: undefined });
      const leaky = await call('GET', '/leaky');
      expect(leaky).toMatchObject({
        status: 500,
        body: { error: { code: 'RESPONSE_SCHEMA_MISMATCH', message: expect.stringContaining('ThingsController.leaky') } },
      });
      expect(JSON.stringify(leaky.body)).not.toContain('argon2');
      expect(logger.error).toHaveBeenCalledWith(
        expect.objectContaining({ route: 'ThingsController.leaky', path: '/leaky' }),
        expect.stringContaining('does not match'),
      );
    } finally {
      await app.close();
    }
  });

  it('checks nothing when switched off', async () => {
    const { logger, create } = newTestApp(false);
    const app = await create();
    try {
      const call = await serve(app, logger);
      expect((await call('GET', '/leaky')).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
