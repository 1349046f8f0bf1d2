// A route without a declared access rule stops the app at start, naming the route; declared routes are listed
// with their rule (the OpenAPI document and the guard read the same declarations).
import 'reflect-metadata';
import { Controller, Get, Module, Post } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { Permission } from '@aico/policy';
import { GATEWAY_CONTROLLERS } from '../gateway-controllers';
import { declaredRoutes } from '../http/declared-routes';
import { Access } from './access.decorator';
import { RouteAccessCheck } from './route-access.check';

@Controller('things')
class DeclaredController {
  @Get()
  @Access(Permission.SystemStatusRead)
  list() {
    return [];
  }

  @Get('public')
  @Access('public')
  open() {
    return {};
  }
}

@Controller('things')
class ForgetfulController {
  @Post(':id/forgotten')
  forgotten() {
    return {};
  }
}

@Module({ imports: [DiscoveryModule], controllers: [DeclaredController], providers: [RouteAccessCheck] })
class DeclaredModule {}

@Module({ imports: [DiscoveryModule], controllers: [DeclaredController, ForgetfulController], providers: [RouteAccessCheck] })
class ForgetfulModule {}

describe('RouteAccessCheck', () => {
  it('lists every route with its declared access', async () => {
    const app = await NestFactory.createApplicationContext(DeclaredModule, { logger: false });
    expect(app.get(RouteAccessCheck).routes()).toEqual([
      { method: 'GET', path: '/things', handler: 'DeclaredController.list', access: 'system.status.read' },
      { method: 'GET', path: '/things/public', handler: 'DeclaredController.open', access: 'public' },
    ]);
    await app.close();
  });

  it('refuses to start with a route that declares no access, naming it', async () => {
    await expect(NestFactory.createApplicationContext(ForgetfulModule, { logger: false, abortOnError: false })).rejects.toThrow(
      'Routes without a declared access rule (add @Access(...)): POST /things/:id/forgotten (ForgetfulController.forgotten)',
    );
  });

  it("declares the gateway's conversation, persona, memory, models and first-run routes with the permission each needs", () => {
    const access = Object.fromEntries(declaredRoutes(GATEWAY_CONTROLLERS).map((route) => [`${route.method} ${route.path}`, route.access]));
    expect(access).toMatchObject({
      'POST /conversation/messages': 'conversation.send',
      'GET /conversation/threads': 'conversation.read',
      'GET /conversation/threads/:id': 'conversation.read',
      'GET /conversation/threads/:id/messages': 'conversation.read',
      'PATCH /conversation/threads/:id': 'conversation.send',
      'DELETE /conversation/threads/:id': 'conversation.send',
      'GET /conversation/threads/:id/export': 'conversation.read',
      'POST /conversation/threads/:id/stop': 'conversation.send',
      'POST /conversation/threads/:id/regenerate': 'conversation.send',
      'GET /persona': 'authenticated',
      'PUT /persona': 'persona.manage',
      'GET /memory': 'conversation.read',
      'PATCH /memory/facts/:id': 'conversation.read',
      'DELETE /memory/facts/:id': 'conversation.read',
      'DELETE /memory': 'conversation.read',
      'GET /models': 'system.status.read',
      'POST /models/import': 'models.manage',
      'POST /models/pull': 'models.manage',
      'PUT /models/active': 'models.manage',
      'DELETE /models/:name': 'models.manage',
      'GET /auth/setup': 'public',
      'POST /auth/setup': 'public',
    });
    expect(Object.entries(access).filter(([, declared]) => declared === undefined)).toEqual([]);
  });
});
