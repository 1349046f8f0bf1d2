// The login routes' stricter rate limit is a provider each app is given (LoginRateLimit, made from its config), not a
// module variable the last app started sets for all: two gateways in one process keep their own limits, and routes
// without @LoginThrottled() keep the default limit.
import 'reflect-metadata';
import { Controller, Get, Module, Post, type INestApplication } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { HttpThrottlerGuard, LoginRateLimit, LoginThrottled } from './rate-limit';

@Controller()
class DoorController {
  @Post('login')
  @LoginThrottled()
  login() {
    return { ok: true };
  }

  @Get('other')
  other() {
    return { ok: true };
  }
}

async function gatewayWithLoginLimit(limit: number) {
  @Module({
    imports: [ThrottlerModule.forRoot([{ name: 'default', ttl: 3_600_000, limit: 50 }])],
    controllers: [DoorController],
    providers: [
      { provide: LoginRateLimit, useValue: { limit, windowMs: 3_600_000 } satisfies LoginRateLimit },
      { provide: APP_GUARD, useClass: HttpThrottlerGuard },
    ],
  })
  class DoorModule {}
  const app: INestApplication = await NestFactory.create(DoorModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const { port } = (app.getHttpServer() as { address(): { port: number } }).address();
  const statuses = async (method: string, path: string, times: number) => {
    const seen: number[] = [];
    for (let i = 0; i < times; i++) seen.push((await fetch(`http://127.0.0.1:${port}${path}`, { method })).status);
    return seen;
  };
  return { app, statuses };
}

describe('HttpThrottlerGuard with LoginRateLimit', () => {
  it('limits login routes by the limit its own app was given, and other routes by the default limit', async () => {
    const strict = await gatewayWithLoginLimit(2);
    const lenient = await gatewayWithLoginLimit(4);
    try {
      expect(await strict.statuses('POST', '/login', 3)).toEqual([201, 201, 429]);
      expect(await lenient.statuses('POST', '/login', 5)).toEqual([201, 201, 201, 201, 429]);
      expect(await strict.statuses('GET', '/other', 5)).toEqual([200, 200, 200, 200, 200]);
    } finally {
      await Promise.all([strict.app.close(), lenient.app.close()]);
    }
  });
});
