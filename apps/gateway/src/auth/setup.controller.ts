// The first run in the browser: whether setup is needed, and creating the first administrator (see first-run-setup.ts).
import { Controller, Get, Header, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import { SetupBody, SetupNeededResponse } from '../http/conversation-schemas';
import { Doc } from '../http/doc.decorator';
import { ValidBody, type Input } from '../http/valid-input';
import { TokensResponse } from '../http/schemas';
import { Access } from './access.decorator';
import { FirstRunSetup } from './first-run-setup';
import { LoginThrottled } from './rate-limit';

@Controller('auth')
export class SetupController {
  constructor(private readonly setup: FirstRunSetup) {}

  @Doc('Whether aico still needs its first administrator (no user exists yet)', { response: SetupNeededResponse })
  @Get('setup')
  @Access('public')
  @Header('Cache-Control', 'no-store')
  async needed() {
    return { needed: await this.setup.needed() };
  }

  @Doc('Create the first administrator (only from this machine, only while no user exists) and log in', { response: TokensResponse })
  @Post('setup')
  @HttpCode(200)
  @Access('public')
  @LoginThrottled()
  @Header('Cache-Control', 'no-store')
  @Header('Pragma', 'no-cache')
  create(@Req() request: Request, @ValidBody(SetupBody) input: Input<typeof SetupBody>) {
    // The TCP peer, not request.ip: a forwarded-for header must not make a remote caller look local.
    return this.setup.createFirstAdmin(input, request.socket.remoteAddress);
  }
}
